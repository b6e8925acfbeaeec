package io.tfgw.storage.memory;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Files held in memory ({@code memory://store/key}), for tests and for embedding tfgw. It counts open inputs and
 * outputs so that tests can prove nothing leaks ({@link #assertNoOpenFiles()}), as Okio's FakeFileSystem does.
 */
public final class MemoryStorage implements Storage {
  private final Map<String, ConcurrentSkipListMap<String, byte[]>> stores = new ConcurrentHashMap<>();
  private final AtomicInteger openInputs = new AtomicInteger();
  private final AtomicInteger openOutputs = new AtomicInteger();

  private ConcurrentSkipListMap<String, byte[]> store(Location location) {
    return stores.computeIfAbsent(location.authority(), k -> new ConcurrentSkipListMap<>(MemoryStorage::bytewise));
  }

  private static int bytewise(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public void assertNoOpenFiles() {
    if (openInputs.get() != 0 || openOutputs.get() != 0) {
      throw new IllegalStateException(openInputs.get() + " inputs and " + openOutputs.get() + " outputs still open");
    }
  }

  @Override
  public InputFile inputFile(Location location) {
    return new InputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public long length() {
        return bytes().length;
      }

      private byte[] bytes() {
        byte[] b = store(location).get(location.path());
        if (b == null) {
          throw new LocationNotFoundException(location);
        }
        return b;
      }

      @Override
      public boolean exists() {
        return store(location).containsKey(location.path());
      }

      @Override
      public RandomAccessInput open() {
        byte[] data = bytes();
        openInputs.incrementAndGet();
        return new RandomAccessInput() {
          private boolean closed;

          @Override
          public Location location() {
            return location;
          }

          @Override
          public long length() {
            return data.length;
          }

          @Override
          public void readFully(long position, byte[] buffer, int offset, int len) {
            if (closed) {
              throw new StorageException(location + " is closed");
            }
            if (position < 0 || len < 0 || position + len > data.length) {
              throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
                  + location + " (" + data.length + " bytes); the file is truncated or corrupt");
            }
            System.arraycopy(data, (int) position, buffer, offset, len);
          }

          @Override
          public void close() {
            if (!closed) {
              closed = true;
              openInputs.decrementAndGet();
            }
          }
        };
      }
    };
  }

  @Override
  public OutputFile outputFile(Location location) {
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        openOutputs.incrementAndGet();
        return new AtomicOutputStream() {
          private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

          @Override
          public long position() {
            return buffer.size();
          }

          @Override
          public Location location() {
            return location;
          }

          @Override
          public void write(int b) {
            buffer.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            buffer.write(b, off, len);
          }

          @Override
          protected void doCommit() {
            store(location).put(location.path(), buffer.toByteArray());
            openOutputs.decrementAndGet();
          }

          @Override
          protected void doAbort() {
            openOutputs.decrementAndGet();
          }
        };
      }
    };
  }

  @Override
  public List<FileEntry> list(Location directory) {
    String prefix = directory.path().isEmpty() ? "" : directory.path() + "/";
    List<FileEntry> out = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : store(directory).tailMap(prefix).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.add(new FileEntry(directory.resolve(e.getKey().substring(prefix.length())), e.getValue().length));
    }
    return out;
  }

  @Override
  public void delete(Location location) {
    store(location).remove(location.path());
  }
}
