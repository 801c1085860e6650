package dev.jamesmtasts.james;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * An in-process SMTP receiver on 127.0.0.1 (subethasmtp), optionally offering STARTTLS with a
 * certificate from the test CA. Records every message with whether it arrived over TLS.
 */
final class TlsReceiver implements AutoCloseable {
    /** One received message. */
    static final class Received {
        final String from;
        final List<String> recipients;
        final String data;
        final boolean tls;
        final String tlsProtocol;
        /** The SNI host name the client asked for, or null. */
        final String sni;

        Received(String from, List<String> recipients, String data, boolean tls, String tlsProtocol, String sni) {
            this.from = from;
            this.recipients = recipients;
            this.data = data;
            this.tls = tls;
            this.tlsProtocol = tlsProtocol;
            this.sni = sni;
        }
    }

    private final SMTPServer server;
    private final int port;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile int connections;

    /** {@code tls} null: no STARTTLS offered. */
    TlsReceiver(String name, SSLContext tls) {
        this.port = freePort();
        this.server = new SMTPServer(this::handler) {
            @Override
            public SSLSocket createSSLSocket(Socket socket) throws IOException {
                InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
                SSLSocket s = (SSLSocket) tls.getSocketFactory()
                        .createSocket(socket, remote.getHostString(), socket.getPort(), true);
                s.setUseClientMode(false);
                return s;
            }
        };
        server.setHostName(name);
        server.setPort(port);
        server.setBindAddress(InetAddress.getLoopbackAddress());
        server.setEnableTLS(tls != null);
        server.setHideTLS(tls == null);
        server.start();
    }

    private MessageHandler handler(MessageContext ctx) {
        connections++;
        return new MessageHandler() {
            String from;
            final List<String> rcpts = new ArrayList<>();

            @Override
            public void from(String f) {
                from = f;
            }

            @Override
            public void recipient(String r) {
                rcpts.add(r);
            }

            @Override
            public void data(InputStream in) throws IOException {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                in.transferTo(out);
                Session s = (Session) ctx;
                String protocol = s.getSocket() instanceof SSLSocket
                        ? ((SSLSocket) s.getSocket()).getSession().getProtocol() : null;
                String sni = null;
                if (s.getSocket() instanceof SSLSocket
                        && ((SSLSocket) s.getSocket()).getSession() instanceof javax.net.ssl.ExtendedSSLSession) {
                    for (javax.net.ssl.SNIServerName n : ((javax.net.ssl.ExtendedSSLSession)
                            ((SSLSocket) s.getSocket()).getSession()).getRequestedServerNames()) {
                        if (n instanceof javax.net.ssl.SNIHostName) {
                            sni = ((javax.net.ssl.SNIHostName) n).getAsciiName();
                        }
                    }
                }
                received.add(new Received(from, List.copyOf(rcpts), out.toString(StandardCharsets.UTF_8),
                        s.isTLSStarted(), protocol, sni));
            }

            @Override
            public void done() {
                // nothing
            }
        };
    }

    int port() {
        return port;
    }

    List<Received> received() {
        return received;
    }

    int connections() {
        return connections;
    }

    void clear() {
        received.clear();
    }

    @Override
    public void close() {
        server.stop();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
