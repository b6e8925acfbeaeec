package io.tfgw.storage.http;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract on a real web server (nginx-like, in this JVM) with an HTML directory index. The backend is
 * read-only: files are put in the served directory behind the server's back.
 */
class HttpStorageContractTest extends AbstractStorageContractTest {
  private static final AtomicInteger TESTS = new AtomicInteger();
  @TempDir static Path served;
  static HttpTestServer server;
  static HttpStorage storage;
  private final String name = "test-" + TESTS.incrementAndGet();

  @BeforeAll
  static void start() {
    server = HttpTestServer.serve(served);
    storage = new HttpStorage(HttpSettings.from(StorageOptions.defaults()));
  }

  @AfterAll
  static void stop() {
    storage.close();
    server.close();
  }

  @Override
  protected Storage storage() {
    return storage;
  }

  @Override
  protected Location root() {
    return Location.parse(server.url(name));
  }

  @Override
  protected boolean isReadOnly() {
    return true;
  }

  @Override
  protected void seed(Location location, byte[] content) {
    Path file = served.resolve(name).resolve(root().relativize(location));
    try {
      Files.createDirectories(file.getParent());
      Path temp = Files.createTempFile(file.getParent(), ".seed", ".tmp");
      Files.write(temp, content);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected int concurrentReadsPerThread() {
    return 25;
  }
}
