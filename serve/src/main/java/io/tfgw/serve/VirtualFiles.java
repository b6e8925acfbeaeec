package io.tfgw.serve;

import io.tfgw.converters.resolve.Resolved;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.converters.v2.BundleFiles;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the last few virtual files laid out, keyed by their index file's identity (location, length, time or
 * checksum), so the two range reads of a header cost one index read. Only a memo: any instance behind a load
 * balancer builds the same file.
 */
final class VirtualFiles {
  private static final int CAPACITY = 64;
  private final Storage storage;
  private final Map<String, VirtualSafetensors> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, VirtualSafetensors> eldest) {
      return size() > CAPACITY;
    }
  };

  VirtualFiles(Storage storage) {
    this.storage = storage;
  }

  VirtualSafetensors of(Resolved checkpoint) {
    Location index = checkpoint.format().equals("savedmodel")
        ? BundleFiles.index(checkpoint.target().resolve("variables/variables"))
        : BundleFiles.index(checkpoint.target());
    long length = storage.inputFile(index).length();
    String key = index + "\0" + length + "\0" + StoredBlob.etagOf(storage, index, length) + "\0"
        + storage.capability(FileTimes.class, index).flatMap(t -> t.lastModified(index)).orElse(null);
    synchronized (cache) {
      VirtualSafetensors v = cache.get(key);
      if (v != null) {
        return v;
      }
    }
    VirtualSafetensors v = VirtualSafetensors.of(storage, checkpoint);
    synchronized (cache) {
      cache.put(key, v);
    }
    return v;
  }
}
