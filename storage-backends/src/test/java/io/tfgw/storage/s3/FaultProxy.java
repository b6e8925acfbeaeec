package io.tfgw.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A TCP proxy on 127.0.0.1 in front of a test S3 server that breaks connections the way networks do: it resets
 * them (RST) or stalls them (keeps reading, never answers or stops sending the rest of a response) after a given
 * number of bytes. Which connection gets which fault is decided by a policy on the connection's number (0, 1, ...),
 * so tests are deterministic.
 */
public final class FaultProxy implements AutoCloseable {
  /** What happens to one connection. */
  public record Fault(Kind kind, Direction direction, long afterBytes) {
    public static final Fault NONE = new Fault(Kind.NONE, Direction.UPSTREAM, 0);

    public static Fault reset(Direction direction, long afterBytes) {
      return new Fault(Kind.RESET, direction, afterBytes);
    }

    public static Fault stall(Direction direction, long afterBytes) {
      return new Fault(Kind.STALL, direction, afterBytes);
    }
  }

  public enum Kind { NONE, RESET, STALL }

  /** UPSTREAM: bytes the client sends (requests, uploads); DOWNSTREAM: bytes the server sends (responses). */
  public enum Direction { UPSTREAM, DOWNSTREAM }

  private final ServerSocket server;
  private final InetSocketAddress target;
  private volatile IntFunction<Fault> policy = n -> Fault.NONE;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger faults = new AtomicInteger();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private FaultProxy(URI target) throws IOException {
    this.target = new InetSocketAddress(target.getHost(), target.getPort());
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public static FaultProxy inFrontOf(URI target) {
    try {
      return new FaultProxy(target);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the fault proxy", e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** Sets the fault for each new connection, by its number counted from the proxy's start. */
  public void policy(IntFunction<Fault> policy) {
    this.policy = policy;
  }

  public int connections() {
    return connections.get();
  }

  /** How many connections were actually broken (a fault whose byte count was never reached does not count). */
  public int faults() {
    return faults.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Fault fault = policy.apply(connections.getAndIncrement());
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        open.add(client);
        open.add(upstream);
        pump(client, upstream, fault.direction() == Direction.UPSTREAM ? fault : Fault.NONE, "up");
        pump(upstream, client, fault.direction() == Direction.DOWNSTREAM ? fault : Fault.NONE, "down");
      } catch (IOException e) {
        if (!closed) {
          System.err.println("fault proxy: " + e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, Fault fault, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      long passed = 0;
      boolean stalled = false;
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (!stalled && fault.kind() != Kind.NONE && passed + n > fault.afterBytes()) {
            int head = (int) (fault.afterBytes() - passed);
            out.write(buf, 0, head);
            out.flush();
            faults.incrementAndGet();
            if (fault.kind() == Kind.RESET) {
              resetBoth(from, to);
              return;
            }
            stalled = true; // from now on swallow what comes, pass nothing: the peer waits in vain
          }
          if (!stalled) {
            out.write(buf, 0, n);
            passed += n;
          }
        }
        if (!stalled) {
          to.shutdownOutput();
        }
      } catch (IOException e) {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "fault-proxy-" + name);
    t.setDaemon(true);
    t.start();
  }

  private static void resetBoth(Socket a, Socket b) {
    for (Socket s : new Socket[] {a, b}) {
      try {
        s.setSoLinger(true, 0); // close() then sends RST instead of FIN
      } catch (IOException ignored) {
        // already gone
      }
      closeQuietly(s);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    open.forEach(FaultProxy::closeQuietly);
  }
}
