package io.tfgw.storage.azure;

import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.tfgw.core.storage.StorageOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Azure Blob server for tests: Azurite (npm {@code azurite}) as a child process on 127.0.0.1 and a free
 * port, keeping blobs in memory or below a directory (which survives a restart on the same directory). Azurite does
 * not exit on SIGTERM, so {@link #kill()} sends SIGKILL to its process id.
 *
 * <p>Azurite is found in {@code storage-azure/azurite/node_modules} (where {@code .ci/run} installs it with
 * {@code npm ci}); when it is not there, it is installed with {@code npm ci} into {@code storage-azure/target/azurite}
 * from the same committed package files. Without node and npm the tests fail saying so: they never skip.
 */
public final class AzuriteServer implements AutoCloseable {
  public static final String ACCOUNT = "devstoreaccount1";
  /** Azurite's published development key (not a secret). */
  public static final String KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  private static final Pattern LISTENING = Pattern.compile("listens on (http://127\\.0\\.0\\.1:(\\d+))");

  private final Process process;
  private final int port;
  private final Path location;
  private final List<String> output;

  private AzuriteServer(Process process, int port, Path location, List<String> output) {
    this.process = process;
    this.port = port;
    this.location = location;
    this.output = output;
  }

  /** Azurite keeping blobs in memory. */
  public static AzuriteServer start() {
    return start(null, 0);
  }

  /** Azurite keeping blobs in {@code location} (null: in memory), on {@code port} (0: a free one). */
  public static AzuriteServer start(Path location, int port) {
    Path executable = executable();
    List<String> command = new ArrayList<>(List.of(executable.toString(), "--blobHost", "127.0.0.1",
        "--blobPort", String.valueOf(port), "--skipApiVersionCheck", "--loose", "--silent"));
    if (location == null) {
      command.add("--inMemoryPersistence");
    } else {
      command.addAll(List.of("--location", location.toString()));
    }
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
      CompletableFuture<Integer> ready = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            output.add(line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
              ready.complete(Integer.parseInt(m.group(2)));
            }
          }
        } catch (IOException e) {
          // the process ended
        }
        ready.completeExceptionally(new IllegalStateException("Azurite exited: " + output));
      }, "azurite-output");
      reader.setDaemon(true);
      reader.start();
      int actualPort = ready.get(60, TimeUnit.SECONDS);
      return new AzuriteServer(process, actualPort, location, output);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start Azurite (" + executable + "): " + e.getMessage(), e);
    }
  }

  /** The {@code azurite-blob} executable, installed on first use when {@code .ci/run} has not installed it. */
  static synchronized Path executable() {
    Path module = moduleDirectory();
    Path installed = module.resolve("azurite/node_modules/.bin/azurite-blob");
    if (Files.isExecutable(installed)) {
      return installed;
    }
    Path local = module.resolve("target/azurite/node_modules/.bin/azurite-blob");
    if (Files.isExecutable(local)) {
      return local;
    }
    try {
      Path dir = Files.createDirectories(module.resolve("target/azurite"));
      Files.copy(module.resolve("azurite/package.json"), dir.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(module.resolve("azurite/package-lock.json"), dir.resolve("package-lock.json"), StandardCopyOption.REPLACE_EXISTING);
      Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error").directory(dir.toFile())
          .redirectErrorStream(true).start();
      String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0 || !Files.isExecutable(local)) {
        throw new IllegalStateException("npm ci failed: " + log);
      }
      return local;
    } catch (IOException | InterruptedException | IllegalStateException e) {
      throw new IllegalStateException("Azurite is not installed and could not be installed (" + e.getMessage() + "). "
          + ".ci/run installs it: npm ci --prefix storage-azure/azurite (needs node and npm).", e);
    }
  }

  private static Path moduleDirectory() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("azurite/package.json")) && p.endsWith("storage-azure")) {
        return p;
      }
      if (Files.isRegularFile(p.resolve("storage-azure/azurite/package.json"))) {
        return p.resolve("storage-azure");
      }
    }
    throw new IllegalStateException("Cannot find storage-azure/azurite/package.json above " + Path.of("").toAbsolutePath());
  }

  public int port() {
    return port;
  }

  /** The account's blob service URL, for {@code azure.endpoint} / {@code --azure-endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port + "/" + ACCOUNT;
  }

  public String connectionString() {
    return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint=" + endpoint() + ";";
  }

  /** Options that point tfgw's Azure backend at this server. */
  public StorageOptions.Builder options() {
    return StorageOptions.builder().set("azure.endpoint", endpoint()).set("azure.account-key", KEY);
  }

  /** An SDK client for setting up and checking containers behind tfgw's back. */
  public BlobServiceClient admin() {
    return new BlobServiceClientBuilder().endpoint(endpoint())
        .credential(new StorageSharedKeyCredential(ACCOUNT, KEY)).buildClient();
  }

  public void createContainer(String name) {
    admin().createBlobContainerIfNotExists(name);
  }

  public Path location() {
    return location;
  }

  public List<String> output() {
    return List.copyOf(output);
  }

  /** SIGKILL to Azurite's process id (it ignores SIGTERM), and waits until it is gone. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }
}
