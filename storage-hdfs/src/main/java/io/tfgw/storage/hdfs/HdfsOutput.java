package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * One HDFS file being written: the bytes go to a hidden temp file in the destination's directory (created on the
 * first write, so an output never written to costs nothing), which {@link #commit()} closes (the datanodes have
 * then acknowledged every packet) and renames over the destination in one atomic namenode operation.
 */
final class HdfsOutput extends AtomicOutputStream {
  private final HdfsStorage storage;
  private final Location location;
  private final FileSystem fs;
  private final Path target;
  private final Path temp;
  private FSDataOutputStream out;
  private long position;

  HdfsOutput(HdfsStorage storage, Location location) {
    this.storage = storage;
    this.location = location;
    this.fs = storage.fileSystem(location);
    this.target = HdfsStorage.path(location);
    this.temp = new Path(target.getParent(), "." + target.getName() + ".tfgw-" + UUID.randomUUID().toString().replace("-", "") + ".tmp");
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long position() {
    return position;
  }

  private FSDataOutputStream out() {
    if (out == null) {
      try {
        out = fs.create(temp, false);
      } catch (IOException e) {
        throw HdfsStorage.error("write", location, e);
      }
    }
    return out;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    try {
      out().write(b, off, len);
      position += len;
    } catch (IOException e) {
      throw HdfsStorage.error("write", location, e);
    }
  }

  @Override
  protected void doCommit() {
    try {
      out().close();
      FileContext.getFileContext(fs.getUri(), storage.conf()).rename(temp, target, Options.Rename.OVERWRITE);
    } catch (IOException e) {
      deleteTemp();
      throw HdfsStorage.error("write", location, e);
    } catch (RuntimeException e) {
      deleteTemp();
      throw e;
    }
  }

  @Override
  protected void doAbort() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // deleted below either way
      }
      deleteTemp();
    }
  }

  private void deleteTemp() {
    try {
      fs.delete(temp, false);
    } catch (IOException e) {
      throw new StorageException("Cannot remove the temp file " + temp + " of an unfinished write to " + location
          + " (" + e.getMessage() + "); it is hidden from listings, delete it by hand", e);
    }
  }
}
