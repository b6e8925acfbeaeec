package io.tfgw.storage.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Writes a new file with O_DIRECT: bytes gather in an aligned staging buffer and go from it straight to the disk, in
 * {@link #STAGE} writes, without passing through the page cache.
 *
 * <p>Why: tfgw's outputs are written once and made durable at commit, so caching them buys nothing, and filling
 * the page cache costs. On the VMs of README's Performance section the page cache's fresh pages are the whole cost
 * of a copy: memory the guest has freed goes back to the host within seconds, and touching it again costs about 4x
 * the system time of reusing it. Copying a 2 GiB data file measured, alternating runs after the same settling,
 * 1.1-1.5 s wall (0.4-0.8 s system) with O_DIRECT and 1 MiB writes, 4.6-5.3 s (3.9-4.6 s) with 64 KiB write(2)
 * calls through the page cache, and 5.7-5.9 s for {@code cp} + {@code sync}. It is what {@code dd oflag=direct}
 * does, and what databases do for the same reason.
 *
 * <p>The file system must take O_DIRECT: {@link #tryOpen} opens with it and probes one aligned write, and returns
 * null where either fails (a FUSE or network mount, tmpfs before Linux 6.6), and the caller writes through the page
 * cache. At most {@link #SLOTS} files at once use it (a bundle writer keeps every shard open until its commit), so
 * the staging buffers stay bounded: beyond that, and with {@code TFGW_DIRECT_IO=0}, files are written buffered.
 *
 * <p>Not thread-safe: one thread writes, as with any OutputStream.
 */
final class DirectFileWriter {
  /** 1 MiB: as fast as larger writes on the disks measured, and few enough bytes to keep 8 of them around. */
  static final int STAGE = 1 << 20;
  static final int SLOTS = 8;
  /** O_DIRECT needs offsets, lengths and memory aligned to the device's logical block; 4 KiB covers 512 and 4K disks. */
  private static final int MIN_ALIGN = 4096;
  private static final boolean ENABLED = !"0".equals(System.getenv("TFGW_DIRECT_IO"));

  private static final Semaphore SLOT_PERMITS = new Semaphore(SLOTS);
  /** Staging buffers of finished writers, reused: direct memory is freed only by a GC, so it is not churned. */
  private static final ConcurrentLinkedQueue<ByteBuffer> SPARE = new ConcurrentLinkedQueue<>();
  /** Per device: the alignment its file system needs for O_DIRECT, or -1 where it refused it. */
  private static final java.util.concurrent.ConcurrentHashMap<Object, Integer> ALIGNMENT_BY_DEVICE =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final FileChannel channel;
  private final int align;
  private ByteBuffer stage;
  private boolean released;

  private DirectFileWriter(FileChannel channel, int align, ByteBuffer stage) {
    this.channel = channel;
    this.align = align;
    this.stage = stage;
  }

  /**
   * A direct writer of the new file {@code path}, created by this call; or null, with no file created, where the
   * file system does not take O_DIRECT, when it is turned off, or when {@link #SLOTS} files are being written so.
   * The first file on each device is probed (its block size looked up, one aligned write tried); later ones reuse
   * the answer, so a tree of many small files pays for it once.
   */
  static DirectFileWriter tryOpen(Path path) {
    if (!ENABLED || !SLOT_PERMITS.tryAcquire()) {
      return null;
    }
    Object device = deviceOf(path.getParent());
    Integer known = device == null ? null : ALIGNMENT_BY_DEVICE.get(device);
    if (known != null && known < 0) {
      SLOT_PERMITS.release();
      return null;
    }
    FileChannel channel = null;
    try {
      int align = known != null ? known : alignmentOf(path.getParent());
      channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          com.sun.nio.file.ExtendedOpenOption.DIRECT);
      ByteBuffer stage = SPARE.poll();
      if (stage == null || stage.capacity() < STAGE || stage.alignmentOffset(0, align) != 0) {
        stage = ByteBuffer.allocateDirect(STAGE + align).alignedSlice(align);
      }
      stage.clear().limit(STAGE);
      if (known == null) {
        // The probe: some file systems accept the flag at open and refuse the writes.
        ByteBuffer probe = stage.duplicate().clear().limit(align);
        while (probe.hasRemaining()) {
          channel.write(probe, probe.position());
        }
        channel.truncate(0);
        if (device != null) {
          ALIGNMENT_BY_DEVICE.put(device, align);
        }
      }
      return new DirectFileWriter(channel, align, stage);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      SLOT_PERMITS.release();
      // O_DIRECT refused is EINVAL (or the JDK's refusal of the option); other failures (permissions, a full disk)
      // are the caller's to report when it creates the file itself, and say nothing about O_DIRECT
      boolean refused = !(e instanceof IOException) || String.valueOf(e.getMessage()).contains("Invalid argument");
      if (device != null && refused) {
        ALIGNMENT_BY_DEVICE.put(device, -1);
      }
      if (channel != null) {
        try {
          channel.close();
          Files.deleteIfExists(path);
        } catch (IOException ignored) {
          // the caller creates the file anew and fails there if the directory is unusable
        }
      }
      return null;
    }
  }

  /** The device a directory is on (st_dev), or null where the platform does not say. */
  private static Object deviceOf(Path dir) {
    try {
      return Files.getAttribute(dir, "unix:dev");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }

  private static int alignmentOf(Path dir) {
    try {
      long block = Files.getFileStore(dir).getBlockSize();
      if (block > MIN_ALIGN && block <= STAGE && Long.bitCount(block) == 1) {
        return (int) block;
      }
    } catch (IOException | UnsupportedOperationException e) {
      // the 4 KiB default is right for every disk but exotic ones, and the probe catches those
    }
    return MIN_ALIGN;
  }

  void write(int b) throws IOException {
    stage.put((byte) b);
    drainIfFull();
  }

  void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = Math.min(len, stage.remaining());
      stage.put(b, off, n);
      off += n;
      len -= n;
      drainIfFull();
    }
  }

  /** Copies {@code src} (from the core's cache) into the staging buffer; src is free again on return. */
  void write(ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), stage.remaining());
      int limit = src.limit();
      src.limit(src.position() + n);
      stage.put(src);
      src.limit(limit);
      drainIfFull();
    }
  }

  private void drainIfFull() throws IOException {
    if (!stage.hasRemaining()) {
      stage.flip();
      writeFully(stage);
      stage.clear().limit(STAGE);
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /**
   * Writes what is staged and makes the file exactly {@code length} bytes and durable: the tail goes out padded to
   * the alignment, then the file is cut back.
   */
  void finish(long length) throws IOException {
    int tail = stage.position();
    if (tail > 0) {
      int padded = (tail + align - 1) / align * align;
      while (stage.position() < padded) {
        stage.put((byte) 0);
      }
      stage.flip();
      writeFully(stage);
      stage.clear().limit(STAGE);
    }
    if (channel.size() != length) {
      channel.truncate(length);
    }
    channel.force(true);
  }

  FileChannel channel() {
    return channel;
  }

  /** Returns the staging buffer and the slot; the caller closes the channel. Idempotent. */
  void release() {
    if (!released) {
      released = true;
      SPARE.offer(stage);
      stage = null;
      SLOT_PERMITS.release();
    }
  }
}
