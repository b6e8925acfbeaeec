package io.tfgw.converters.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.converters.convert.CheckpointConverter;
import io.tfgw.converters.convert.ConvertOptions;
import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.storage.memory.MemoryStorage;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A destination that fills up part-way (disk full, quota): whatever byte the failure hits, the conversion fails
 * with the storage's message and leaves nothing at the destination.
 */
class DiskFullTest {
  /** Memory storage whose outputs under {@code memory://dst} fail once {@code capacity} bytes were written in all. */
  static final class FullDisk implements Storage {
    final MemoryStorage inner = new MemoryStorage();
    long capacity;
    long used;

    @Override
    public InputFile inputFile(Location location) {
      return inner.inputFile(location);
    }

    @Override
    public OutputFile outputFile(Location location) {
      OutputFile real = inner.outputFile(location);
      if (!location.authority().equals("dst")) {
        return real;
      }
      return new OutputFile() {
        @Override
        public Location location() {
          return location;
        }

        @Override
        public AtomicOutputStream create() {
          AtomicOutputStream out = real.create();
          return new AtomicOutputStream() {
            @Override
            public long position() {
              return out.position();
            }

            @Override
            public Location location() {
              return location;
            }

            @Override
            public void write(int b) {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
              if (used + len > capacity) {
                throw new StorageException("Cannot write " + location + ": No space left on device (is the disk full?)");
              }
              used += len;
              try {
                out.write(b, off, len);
              } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
              }
            }

            @Override
            protected void doCommit() {
              out.commit();
            }

            @Override
            protected void doAbort() {
              out.abort();
            }
          };
        }
      };
    }

    @Override
    public List<FileEntry> list(Location directory) {
      return inner.list(directory);
    }

    @Override
    public void delete(Location location) {
      inner.delete(location);
    }
  }

  @Test
  void aDestinationThatFillsUpAnywhereLeavesNothing() {
    Random rnd = new Random(5);
    for (String to : List.of("v2", "v1")) {
      long total = -1;
      for (int trial = 0; trial < 40; trial++) {
        FullDisk disk = new FullDisk();
        Location src = Location.parse("memory://src/model.ckpt");
        try (BundleWriter w = new BundleWriter(disk.inner, src)) {
          for (int i = 0; i < 5; i++) {
            byte[] b = new byte[4000 * (i + 1)];
            rnd.nextBytes(b);
            w.add("t" + i, new InMemoryTensorData(DType.UINT8, Shape.of(b.length), b));
          }
          w.commit();
        }
        Location dst = Location.parse("memory://dst/out/model.ckpt");
        if (total < 0) {
          disk.capacity = Long.MAX_VALUE;
          new CheckpointConverter(disk).convert(src, dst, ConvertOptions.to(to).withCarryMeta(false));
          total = disk.used;
          continue;
        }
        disk.capacity = (long) (rnd.nextDouble() * total);
        assertThatThrownBy(() -> new CheckpointConverter(disk).convert(src, dst, ConvertOptions.to(to).withCarryMeta(false)))
            .isInstanceOf(StorageException.class).hasMessageContaining("No space left on device");
        assertThat(disk.inner.list(Location.parse("memory://dst/out"))).as("%s with room for %d of %d bytes", to,
            disk.capacity, total).isEmpty();
        disk.inner.assertNoOpenFiles();
      }
    }
  }
}
