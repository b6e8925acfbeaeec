package io.tfgw.storage.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Writes one file's bytes on a thread of its own, so that the caller's reading, checksumming and encoding overlap
 * the write(2) calls and the disk's writeback: a conversion then takes the longer of the two, not their sum.
 *
 * <p>The caller's bytes are copied once, into one of {@link #BUFFERS} direct buffers of {@link #BUFFER_SIZE}
 * (the kernel writes a direct buffer as it is; a heap array would be copied into a temporary direct buffer
 * first). A full buffer goes to the writer thread through a bounded queue, so memory stays bounded whatever the file
 * size. Every {@link #WRITEBACK_INTERVAL} bytes the thread also makes what it wrote so far durable (fdatasync): the
 * disk then works while the caller computes, and the final fsync at commit has only the tail left, where
 * {@code cp} followed by {@code sync} writes everything back only after copying.
 *
 * <p>At most {@link #SLOTS} files are pipelined at once in a JVM (a writer of many shards keeps all of them open
 * until its commit); {@link #tryCreate} returns null beyond that, and the caller writes synchronously. The thread
 * starts only once a first buffer is full, so small files cost no thread.
 *
 * <p>Not thread-safe for the caller: one thread writes, as with any OutputStream.
 */
final class PipelinedFileWriter {
  /**
   * Small on purpose: a 64 KiB piece stays in the core's cache from the read through the crc to the write. Measured
   * on the 2-core VM of README's Performance section, copying 1 GiB with {@code dd conv=fsync} costs 0.4 s of system
   * time in 64 KiB pieces and 1.3-2.5 s in 128 KiB to 4 MiB ones, and a V2 to V2 conversion with 4 MiB buffers
   * took 2-4x longer than with these.
   */
  static final int BUFFER_SIZE = 64 << 10;
  /** 1 MiB in flight per file: enough to ride out a write(2) that waits on the disk. */
  static final int BUFFERS = 16;
  static final long WRITEBACK_INTERVAL = 64L << 20;
  static final int SLOTS = 8;

  private static final Semaphore SLOT_PERMITS = new Semaphore(SLOTS);
  /** Direct buffers of finished writers, reused: direct memory is freed only by a GC, so it is not churned. */
  private static final ConcurrentLinkedQueue<ByteBuffer> SPARE = new ConcurrentLinkedQueue<>();
  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private final FileChannel channel;
  private final String name;
  private final BlockingQueue<ByteBuffer> full = new ArrayBlockingQueue<>(BUFFERS + 1);
  private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
  private int allocated;
  private ByteBuffer current;
  private Thread thread;
  private volatile IOException failure;
  private volatile boolean discarding;
  private boolean released;

  private PipelinedFileWriter(FileChannel channel, String name) {
    this.channel = channel;
    this.name = name;
  }

  /** A pipelined writer of {@code channel} (at its position 0), or null when {@link #SLOTS} are in use. */
  static PipelinedFileWriter tryCreate(FileChannel channel, String name) {
    return SLOT_PERMITS.tryAcquire() ? new PipelinedFileWriter(channel, name) : null;
  }

  void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (current == null) {
        current = nextBuffer();
      }
      int n = Math.min(len, current.remaining());
      current.put(b, off, n);
      off += n;
      len -= n;
      if (!current.hasRemaining()) {
        handOff();
      }
    }
  }

  private ByteBuffer nextBuffer() throws IOException {
    ByteBuffer b = free.poll();
    if (b == null && allocated < BUFFERS) {
      allocated++;
      b = SPARE.poll();
      if (b == null) {
        b = ByteBuffer.allocateDirect(BUFFER_SIZE);
      }
    }
    if (b == null) {
      b = take(free);
    }
    rethrow();
    b.clear();
    return b;
  }

  private void handOff() throws IOException {
    rethrow();
    current.flip();
    if (thread == null) {
      thread = new Thread(this::run, "tfgw-write " + name);
      thread.setDaemon(true);
      thread.start();
    }
    put(current);
    current = null;
  }

  /** Writes everything accepted and waits for it; the channel is then ready to be forced and closed. */
  void finish() throws IOException {
    try {
      if (current != null && current.position() > 0) {
        if (thread == null) {
          current.flip();
          writeFully(current); // a small file: no thread was needed
        } else {
          handOff();
        }
      }
      stopThread();
      rethrow();
    } finally {
      release();
    }
  }

  /** Stops writing and discards what is queued; the caller deletes the file. Idempotent. */
  void abort() {
    discarding = true;
    try {
      stopThread();
    } catch (IOException ignored) {
      // the file is discarded anyway
    } finally {
      release();
    }
  }

  private void stopThread() throws IOException {
    if (thread != null) {
      put(END);
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      thread = null;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void release() {
    if (released) {
      return;
    }
    released = true;
    if (current != null) {
      free.offer(current);
      current = null;
    }
    for (ByteBuffer b; (b = free.poll()) != null; ) {
      SPARE.offer(b);
    }
    SLOT_PERMITS.release();
  }

  private void rethrow() throws IOException {
    IOException e = failure;
    if (e != null) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The writer thread: writes buffers in order until END; after a failure it only recycles them. */
  private void run() {
    long sinceWriteback = 0;
    while (true) {
      ByteBuffer b;
      try {
        b = full.take();
      } catch (InterruptedException e) {
        continue; // only END stops the thread, so that no buffer is lost
      }
      if (b == END) {
        return;
      }
      if (failure == null && !discarding) {
        try {
          int n = b.remaining();
          writeFully(b);
          sinceWriteback += n;
          if (sinceWriteback >= WRITEBACK_INTERVAL) {
            channel.force(false);
            sinceWriteback = 0;
          }
        } catch (IOException e) {
          failure = e;
        } catch (RuntimeException e) {
          failure = new IOException(e.toString(), e);
        }
      }
      free.offer(b);
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  private static ByteBuffer take(BlockingQueue<ByteBuffer> q) throws IOException {
    try {
      return q.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while writing");
    }
  }

  private void put(ByteBuffer b) throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          full.put(b);
          return;
        } catch (InterruptedException e) {
          interrupted = true; // the thread needs the buffer (or END) whatever happens
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
