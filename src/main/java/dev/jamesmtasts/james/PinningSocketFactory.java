package dev.jamesmtasts.james;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;

import javax.net.SocketFactory;

/**
 * The plain socket factory of {@link MtaStsRemoteDelivery}'s JavaMail sessions
 * ({@code mail.smtp.socketFactory.class}). When JavaMail connects by MX host name (needed so that
 * STARTTLS uses the MX name for SNI and the certificate check, RFC 8461 §4.2), the TCP connection
 * goes to the address James's own {@code DNSService} resolved for that MX (pinned on the delivery
 * thread by {@link PolicyAwareMailDelivrerToHost}) instead of a second resolution through the JVM
 * resolver. Without a pinned address it behaves like a plain socket.
 */
public final class PinningSocketFactory extends SocketFactory {
    private static final PinningSocketFactory INSTANCE = new PinningSocketFactory();

    /** Called by JavaMail (by class name). */
    public static SocketFactory getDefault() {
        return INSTANCE;
    }

    @Override
    public Socket createSocket() {
        return new PinnedSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket s = new PinnedSocket();
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket s = new PinnedSocket();
        s.bind(new InetSocketAddress(localHost, localPort));
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return new Socket(address, port, localAddress, localPort);
    }

    static SocketAddress pin(SocketAddress endpoint) {
        TlsProbe probe = TlsProbe.current();
        if (probe == null || probe.pinnedAddress == null || !(endpoint instanceof InetSocketAddress)) {
            return endpoint;
        }
        InetSocketAddress a = (InetSocketAddress) endpoint;
        if (a.getHostString().equalsIgnoreCase(probe.pinnedHost)) {
            return new InetSocketAddress(probe.pinnedAddress, a.getPort());
        }
        return endpoint;
    }

    /** Tells the delivery thread's probe the addresses of the connection just made (TLS-RPT, RFC 8460 §4.4). */
    static void observe(Socket connected) {
        TlsProbe probe = TlsProbe.current();
        if (probe != null) {
            probe.connected(connected);
        }
    }

    private static final class PinnedSocket extends Socket {
        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            super.connect(pin(endpoint));
            observe(this);
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            super.connect(pin(endpoint), timeout);
            observe(this);
        }
    }
}
