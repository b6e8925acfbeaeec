package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StoredChecksums;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.security.AccessControlException;

/**
 * HDFS through Hadoop's shaded client.
 *
 * <ul>
 *   <li>Reads are positional ({@code FSDataInputStream.readFully(position, ...)}), served by the datanodes holding
 *       the blocks, whose CRCs the client checks on every read.</li>
 *   <li>Writes go to a hidden temp file beside the destination ({@code .NAME.tfgw-ID.tmp}, never listed) and are
 *       renamed over it at commit, atomically (HDFS rename with OVERWRITE); an abort deletes the temp file.</li>
 *   <li>{@link StoredChecksums}: the file checksum in {@code COMPOSITE_CRC} mode is, for the CRC32C block checksums
 *       HDFS uses by default, the CRC32C of the whole file, computed by the datanodes from the CRCs they stored as the
 *       bytes arrived; copies are checked against it without reading them back.</li>
 *   <li>No {@code ConditionalWrites}: HDFS has no compare-and-swap for "still the version I saw"; two writers to one
 *       file each publish a whole file, the last rename wins.</li>
 * </ul>
 *
 * <p>Configuration: {@code HADOOP_CONF_DIR} (or the option {@code hdfs.config-dir}) for {@code core-site.xml} and
 * {@code hdfs-site.xml} (HA name services, Kerberos, ...), the user from {@code HADOOP_USER_NAME}, and any Hadoop key
 * as an option {@code hdfs.conf.KEY=VALUE}. A dead namenode fails within seconds: connection attempts are limited to
 * 3 unless the configuration says otherwise.
 */
public final class HdfsStorage implements Storage, FileTimes, StoredChecksums {
  private static final Pattern TEMP = Pattern.compile("\\..+\\.tfgw-[0-9a-f]{32}\\.tmp");

  private final Configuration conf;
  private final Map<String, FileSystem> fileSystems = new ConcurrentHashMap<>();

  public HdfsStorage(Configuration conf) {
    this.conf = conf;
  }

  /** The Hadoop configuration for these options: HADOOP_CONF_DIR, then {@code hdfs.conf.*} options. */
  public static Configuration configuration(StorageOptions options) {
    Configuration conf = new Configuration();
    Optional<String> dir = options.get("hdfs.config-dir").or(() -> Optional.ofNullable(System.getenv("HADOOP_CONF_DIR")));
    dir.ifPresent(d -> {
      for (String name : List.of("core-site.xml", "hdfs-site.xml")) {
        java.nio.file.Path file = java.nio.file.Path.of(d, name);
        if (java.nio.file.Files.isRegularFile(file)) {
          conf.addResource(new Path(file.toUri()));
        }
      }
    });
    options.asMap().forEach((k, v) -> {
      if (k.startsWith("hdfs.conf.")) {
        conf.set(k.substring("hdfs.conf.".length()), v);
      }
    });
    setUnlessConfigured(conf, "ipc.client.connect.max.retries", "2");
    setUnlessConfigured(conf, "ipc.client.connect.max.retries.on.timeouts", "2");
    setUnlessConfigured(conf, "ipc.client.connect.timeout", "3000");
    setUnlessConfigured(conf, "dfs.checksum.combine.mode", "COMPOSITE_CRC");
    return conf;
  }

  /** Sets a key unless a site file or an option set it (Hadoop's own *-default.xml values do not count). */
  private static void setUnlessConfigured(Configuration conf, String key, String value) {
    String[] sources = conf.getPropertySources(key);
    boolean configured = sources != null && Arrays.stream(sources).anyMatch(s -> !s.endsWith("-default.xml"));
    if (!configured) {
      conf.set(key, value);
    }
  }

  FileSystem fileSystem(Location location) {
    requireHdfs(location);
    return fileSystems.computeIfAbsent(location.authority(), authority -> {
      try {
        if (authority.isEmpty()) {
          FileSystem fs = FileSystem.newInstance(conf);
          if (!"hdfs".equals(fs.getUri().getScheme())) {
            fs.close();
            throw new StorageException(location + " names no namenode, and no default HDFS is configured (fs.defaultFS "
                + "is " + fs.getUri() + "): write hdfs://NAMENODE:PORT/PATH, or set HADOOP_CONF_DIR to the cluster's configuration");
          }
          return fs;
        }
        return FileSystem.newInstance(URI.create("hdfs://" + authority + "/"), conf);
      } catch (IOException e) {
        throw error("connect to", location, e);
      }
    });
  }

  static Path path(Location location) {
    return new Path("/" + location.path());
  }

  private static void requireHdfs(Location location) {
    if (!Location.HDFS.equals(location.scheme())) {
      throw new IllegalArgumentException(location + " is not an hdfs:// location");
    }
  }

  /** The file's status, or empty when there is no file there (nothing, a directory, or a path through a file). */
  Optional<FileStatus> find(Location location) {
    if (location.path().isEmpty()) {
      return Optional.empty();
    }
    try {
      FileStatus s = fileSystem(location).getFileStatus(path(location));
      return s.isFile() ? Optional.of(s) : Optional.empty();
    } catch (FileNotFoundException | ParentNotDirectoryException e) {
      return Optional.empty();
    } catch (IOException e) {
      if (isPathThroughAFile(e)) {
        return Optional.empty();
      }
      throw error("read", location, e);
    }
  }

  private static boolean isPathThroughAFile(IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("is not a directory") || m.contains("ParentNotDirectoryException");
  }

  FileStatus status(Location location) {
    return find(location).orElseThrow(() -> new LocationNotFoundException(location, "No such file: " + location));
  }

  static StorageException error(String action, Location location, IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return new StorageException("Cannot " + action + " " + location + ": the namenode refuses connections ("
            + (location.authority().isEmpty() ? "fs.defaultFS" : location.authority()) + "). Check the host and port "
            + "(the namenode's RPC port, often 8020) and that the cluster runs.", e);
      }
      if (t instanceof java.net.UnknownHostException) {
        return new StorageException("Cannot " + action + " " + location + ": unknown namenode host '"
            + location.authority() + "'. For an HA name service, set HADOOP_CONF_DIR to the cluster's configuration.", e);
      }
    }
    if (e instanceof AccessControlException || String.valueOf(e.getMessage()).contains("Permission denied")) {
      return new StorageException("Permission denied: cannot " + action + " " + location + " as HDFS user '"
          + currentUser() + "' (" + firstLine(e.getMessage()) + "). Set HADOOP_USER_NAME, or get a Kerberos ticket "
          + "(kinit) on secured clusters.", e);
    }
    if (e.getClass().getSimpleName().equals("SafeModeException") || String.valueOf(e.getMessage()).contains("safe mode")) {
      return new StorageException("Cannot " + action + " " + location + ": the namenode is in safe mode (read-only "
          + "while it starts); try again later", e);
    }
    return new StorageException("Cannot " + action + " " + location + ": " + e.getClass().getSimpleName() + ": "
        + firstLine(e.getMessage()), e);
  }

  private static String currentUser() {
    try {
      return org.apache.hadoop.security.UserGroupInformation.getCurrentUser().getShortUserName();
    } catch (IOException | RuntimeException e) {
      return System.getProperty("user.name");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public InputFile inputFile(Location location) {
    requireHdfs(location);
    return new InputFile() {
      private FileStatus status;

      @Override
      public Location location() {
        return location;
      }

      @Override
      public long length() {
        if (status == null) {
          status = status(location);
        }
        return status.getLen();
      }

      @Override
      public boolean exists() {
        return HdfsStorage.this.exists(location);
      }

      @Override
      public RandomAccessInput open() {
        FileStatus s = status(location);
        try {
          return new HdfsInput(location, fileSystem(location).open(path(location)), s.getLen());
        } catch (FileNotFoundException e) {
          throw new LocationNotFoundException(location, "No such file: " + location);
        } catch (IOException e) {
          throw error("read", location, e);
        }
      }
    };
  }

  @Override
  public OutputFile outputFile(Location location) {
    requireHdfs(location);
    if (location.path().isEmpty()) {
      throw new StorageException(location + " is the root directory, not a file: name a file below it");
    }
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        return new HdfsOutput(HdfsStorage.this, location);
      }
    };
  }

  Configuration conf() {
    return conf;
  }

  @Override
  public List<FileEntry> list(Location directory) {
    List<FileEntry> out = new ArrayList<>();
    FileSystem fs = fileSystem(directory);
    Path dir = path(directory);
    try {
      FileStatus top = fs.getFileStatus(dir);
      if (!top.isDirectory()) {
        return out;
      }
      String base = fs.makeQualified(dir).toUri().getPath();
      String prefix = base.endsWith("/") ? base : base + "/";
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
      while (files.hasNext()) {
        LocatedFileStatus f = files.next();
        String p = f.getPath().toUri().getPath();
        if (!f.isFile() || !p.startsWith(prefix) || TEMP.matcher(f.getPath().getName()).matches()) {
          continue;
        }
        out.add(new FileEntry(directory.resolve(p.substring(prefix.length())), f.getLen()));
      }
    } catch (FileNotFoundException | ParentNotDirectoryException e) {
      return out;
    } catch (IOException e) {
      if (isPathThroughAFile(e)) {
        return out;
      }
      throw error("list", directory, e);
    }
    out.sort((a, b) -> Arrays.compareUnsigned(a.location().path().getBytes(StandardCharsets.UTF_8),
        b.location().path().getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  @Override
  public boolean exists(Location location) {
    return find(location).isPresent();
  }

  @Override
  public void delete(Location location) {
    if (find(location).isEmpty()) {
      return;
    }
    try {
      fileSystem(location).delete(path(location), false);
    } catch (FileNotFoundException e) {
      // gone already
    } catch (IOException e) {
      throw error("delete", location, e);
    }
  }

  @Override
  public Optional<Instant> lastModified(Location location) {
    return Optional.of(Instant.ofEpochMilli(status(location).getModificationTime()));
  }

  /**
   * The CRC32C of the whole file as the datanodes computed it from their block CRCs (COMPOSITE_CRC); empty when the
   * cluster keeps CRC32 (not CRC32C) block checksums or answers with another kind of file checksum.
   */
  @Override
  public OptionalInt crc32c(Location location) {
    try {
      FileChecksum sum = fileSystem(location).getFileChecksum(path(location));
      if (sum == null || !sum.getAlgorithmName().equals("COMPOSITE-CRC32C") || sum.getLength() != 4) {
        return OptionalInt.empty();
      }
      byte[] b = sum.getBytes();
      return OptionalInt.of(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
    } catch (FileNotFoundException e) {
      throw new LocationNotFoundException(location, "No such file: " + location);
    } catch (IOException e) {
      throw error("read", location, e);
    }
  }

  @Override
  public void close() {
    for (FileSystem fs : fileSystems.values()) {
      try {
        fs.close();
      } catch (IOException e) {
        // nothing left to release
      }
    }
    fileSystems.clear();
  }
}
