package dev.jamesmtasts.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.datastax.oss.driver.api.core.CqlSession;

/**
 * A TCP relay on loopback that a test can cut and restore: a store outage seen by one client (every
 * connection through the relay is closed, new ones are refused) without touching the shared Cassandra
 * node that other tests use. {@link #stop()} then {@link #start()} listens again on the same port.
 * {@link #hold()} makes it a hung store instead: connections stay open, nothing more is relayed in either
 * direction until {@link #release()}.
 */
public final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;
    private final Object gate = new Object();
    private boolean held; // guarded by gate
    private int port;

    public TcpProxy(InetSocketAddress target) {
        this.target = target;
    }

    /** A relay to the shared Cassandra node, listening. */
    public static TcpProxy toSharedCassandra() throws IOException {
        TcpProxy p = new TcpProxy(new InetSocketAddress(CassandraNode.HOST, CassandraNode.DEFAULT_PORT));
        p.start();
        return p;
    }

    public synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(CassandraNode.HOST), port), 50);
        port = s.getLocalPort();
        server = s;
        Thread t = new Thread(() -> accept(s), "tcp-proxy-accept-" + port);
        t.setDaemon(true);
        t.start();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket in = s.accept();
                Socket out = new Socket();
                out.connect(target, 5000);
                sockets.add(in);
                sockets.add(out);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                // closed by stop(), or the target refused: the client sees its connection end
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    awaitReleased();
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** From now on nothing is relayed (connections stay open, bytes are held): the peer hangs. */
    public void hold() {
        synchronized (gate) {
            held = true;
        }
    }

    /** Relays again, the held bytes first. */
    public void release() {
        synchronized (gate) {
            held = false;
            gate.notifyAll();
        }
    }

    private void awaitReleased() throws java.io.InterruptedIOException {
        synchronized (gate) {
            while (held) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while held");
                }
            }
        }
    }

    /** Closes the listener and every relayed connection: clients see the peer gone. */
    public synchronized void stop() {
        release(); // a held pump goes on, finds its sockets closed and ends
        ServerSocket s = server;
        server = null;
        if (s != null) {
            closeQuietly(s);
        }
        for (Socket c : sockets) {
            closeQuietly(c);
        }
        sockets.clear();
    }

    public int port() {
        return port;
    }

    /** A driver session to Cassandra through this relay, with the test driver settings. */
    public CqlSession newCassandraSession() {
        return CqlSession.builder()
                .addContactPoint(new InetSocketAddress(CassandraNode.HOST, port))
                .withLocalDatacenter("datacenter1")
                .withConfigLoader(CassandraNode.driverConfig())
                .build();
    }

    @Override
    public void close() {
        stop();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
