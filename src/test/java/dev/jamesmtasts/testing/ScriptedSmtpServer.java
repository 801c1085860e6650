package dev.jamesmtasts.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server on a loopback address that plays a script on each connection instead of speaking SMTP
 * properly: a hostile greeting, a server that never answers, one that trickles bytes. For the cases
 * {@link TestSmtpReceiver} (a real SMTP server) cannot play. Closed by {@link #close()}, which also
 * closes the connections still open.
 */
public final class ScriptedSmtpServer implements AutoCloseable {
    /** What to do with one accepted connection (the socket is closed afterwards). */
    public interface Script {
        void play(Socket socket) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-smtp");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();

    /** Listens on {@code address} (port 0: a free one). */
    public ScriptedSmtpServer(InetSocketAddress address, Script script) throws IOException {
        server = new ServerSocket();
        server.bind(address, 50);
        threads.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                connections.incrementAndGet();
                open.add(s);
                threads.execute(() -> {
                    try {
                        script.play(s);
                    } catch (IOException e) {
                        // the client went away
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        open.remove(s);
                        try {
                            s.close();
                        } catch (IOException ignored) {
                            // closing
                        }
                    }
                });
            }
        });
    }

    /** On 127.0.0.1 and a free port. */
    public ScriptedSmtpServer(Script script) throws IOException {
        this(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), script);
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    /** Writes {@code text} as UTF-8 bytes and flushes. */
    public static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads until the client closes or nothing comes for a minute. */
    public static void drain(Socket s) throws IOException {
        s.setSoTimeout(60_000);
        byte[] buf = new byte[4096];
        while (s.getInputStream().read(buf) >= 0) {
            // discard
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        threads.shutdownNow();
    }
}
