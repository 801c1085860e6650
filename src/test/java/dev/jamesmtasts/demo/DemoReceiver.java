package dev.jamesmtasts.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import dev.jamesmtasts.testing.TestCa;

/**
 * One receiving MTA of the simulated internet: a real SMTP server (subethasmtp) on its own loopback
 * address, offering STARTTLS with a certificate from the demo CA, or (a "stripped" receiver, as seen
 * behind an attacker who removes the STARTTLS capability) offering no STARTTLS at all. Records every
 * message with whether it arrived over TLS, the TLS version and the SNI name the sender asked for.
 */
final class DemoReceiver implements AutoCloseable {
    /** One message as received. */
    static final class Received {
        final String from;
        final List<String> recipients;
        final String tlsProtocol;
        final String sni;
        final String subject;
        /** When the message was accepted ({@link System#nanoTime()}). */
        final long atNanos = System.nanoTime();

        Received(String from, List<String> recipients, String tlsProtocol, String sni, String subject) {
            this.from = from;
            this.recipients = recipients;
            this.tlsProtocol = tlsProtocol;
            this.sni = sni;
            this.subject = subject;
        }

        boolean overTls() {
            return tlsProtocol != null;
        }

        String describe() {
            return (overTls() ? "over " + tlsProtocol + " (SNI " + sni + ")" : "in CLEAR TEXT") + ": " + subject;
        }
    }

    private final String name;
    private final InetSocketAddress address;
    private final SMTPServer server;
    private final List<Received> messages = new CopyOnWriteArrayList<>();
    private final AtomicInteger transactions = new AtomicInteger();

    /**
     * @param name the host name the receiver answers for (its greeting)
     * @param certificate what it presents after STARTTLS whatever SNI it is asked for; null: no STARTTLS
     */
    DemoReceiver(String name, InetSocketAddress address, TestCa.Issued certificate) {
        this.name = name;
        this.address = address;
        SSLContext tls = certificate == null ? null : certificate.serverContext();
        this.server = new SMTPServer(ctx -> {
            transactions.incrementAndGet();
            return new Handler(ctx);
        }) {
            @Override
            public SSLSocket createSSLSocket(Socket socket) throws IOException {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(socket,
                        socket.getInetAddress().getHostAddress(), socket.getPort(), true);
                s.setUseClientMode(false);
                return s;
            }
        };
        server.setBindAddress(address.getAddress());
        server.setPort(address.getPort());
        server.setHostName(name);
        server.setSoftwareName("demo receiver");
        server.setEnableTLS(tls != null);
        server.setHideTLS(tls == null);
        server.setDisableReceivedHeaders(true);
    }

    /** Collects one message of a session (the adapter's multi-recipient handling is not needed). */
    private final class Handler implements org.subethamail.smtp.MessageHandler {
        private final MessageContext ctx;
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Handler(MessageContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void from(String from) {
            this.from = from;
        }

        @Override
        public void recipient(String recipient) {
            recipients.add(recipient);
        }

        @Override
        public void data(InputStream data) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            data.transferTo(body);
            String protocol = null;
            String sni = null;
            if (ctx instanceof Session && ((Session) ctx).getSocket() instanceof SSLSocket) {
                SSLSession session = ((SSLSocket) ((Session) ctx).getSocket()).getSession();
                protocol = session.getProtocol();
                sni = sni(session);
            }
            messages.add(new Received(from, List.copyOf(recipients), protocol, sni, subject(body)));
        }

        @Override
        public void done() {
            // nothing to release
        }
    }

    private static String sni(SSLSession session) {
        if (session instanceof ExtendedSSLSession) {
            for (SNIServerName n : ((ExtendedSSLSession) session).getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    return ((SNIHostName) n).getAsciiName();
                }
            }
        }
        return "none";
    }

    private static String subject(ByteArrayOutputStream body) {
        for (String line : body.toString(StandardCharsets.UTF_8).split("\r?\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                return line.substring(8).trim();
            }
        }
        return "(no subject)";
    }

    DemoReceiver start() {
        server.start();
        return this;
    }

    String name() {
        return name;
    }

    InetAddress address() {
        return address.getAddress();
    }

    /** Messages received so far, in order. */
    List<Received> messages() {
        return List.copyOf(messages);
    }

    /** Messages whose subject contains {@code tag}. */
    List<Received> messages(String tag) {
        List<Received> out = new ArrayList<>();
        for (Received r : messages) {
            if (r.subject.contains(tag)) {
                out.add(r);
            }
        }
        return out;
    }

    int count() {
        return messages.size();
    }

    /** Mail transactions begun (MAIL FROM accepted), delivered or not. */
    int transactions() {
        return transactions.get();
    }

    @Override
    public void close() {
        server.stop();
    }
}
