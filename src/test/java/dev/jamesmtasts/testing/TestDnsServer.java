package dev.jamesmtasts.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An authoritative DNS server for tests, speaking real DNS over UDP and TCP on 127.0.0.1 (the same
 * ephemeral port for both), built with dnsjava's message classes. Every name is programmable while
 * the server runs; a name with no data answers NXDOMAIN, a name with data but none of the asked type
 * answers NODATA (NOERROR, empty answer).
 *
 * <pre>
 * try (TestDnsServer dns = TestDnsServer.start()) {
 *     dns.txt("_mta-sts.example.com", "v=STSv1; ", "id=20240101;")   // one TXT record, two strings
 *        .a("mta-sts.example.com", "127.0.0.1")
 *        .fault("_mta-sts.broken.example", TestDnsServer.Fault.SERVFAIL);
 *     InetSocketAddress resolver = dns.address();
 *     ...
 *     assertThat(dns.queries("_mta-sts.example.com", Type.TXT)).isEqualTo(1);
 * }
 * </pre>
 *
 * Names are case-insensitive and may be written with or without the trailing dot. Record types are
 * dnsjava's {@link Type} constants.
 */
public final class TestDnsServer implements AutoCloseable {
    /** A scripted misbehaviour for a name (or a name and type). */
    public enum Fault {
        /** Answer NXDOMAIN even if the name has data. */
        NXDOMAIN,
        /** Answer SERVFAIL. */
        SERVFAIL,
        /** Answer REFUSED. */
        REFUSED,
        /** Do not answer at all, over UDP or TCP (the client times out). */
        DROP,
        /** Over UDP answer with the TC bit set and no records; over TCP answer normally. */
        TRUNCATE
    }

    private static final long TTL = 300;
    private static final int ANY_TYPE = -1;

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final ExecutorService threads;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Map<Name, List<Record>> zone = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> tcpCounts = new ConcurrentHashMap<>();
    private final Map<Name, Duration> delays = new ConcurrentHashMap<>();
    private volatile boolean chaseCnames = true;
    private volatile boolean closed;

    private TestDnsServer(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-dns-" + udp.getLocalPort());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::serveUdp);
        threads.execute(this::acceptTcp);
    }

    /** Starts a server on 127.0.0.1, UDP and TCP on the same ephemeral port. */
    public static TestDnsServer start() throws IOException {
        return start(InetAddress.getByName("127.0.0.1"));
    }

    private static TestDnsServer start(InetAddress loopback) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
            try {
                ServerSocket tcp = new ServerSocket();
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()), 50);
                return new TestDnsServer(udp, tcp);
            } catch (IOException e) {
                last = e;
                udp.close();
            }
        }
        throw new IOException("no port free for both UDP and TCP", last);
    }

    /**
     * Starts a server with UDP and TCP bound to {@code bind} (a fixed port, e.g. 53 inside a private
     * network namespace, or port 0 for an ephemeral one shared by both).
     */
    public static TestDnsServer start(InetSocketAddress bind) throws IOException {
        if (bind.getPort() == 0) {
            return start(bind.getAddress());
        }
        DatagramSocket udp = new DatagramSocket(bind);
        try {
            ServerSocket tcp = new ServerSocket();
            tcp.setReuseAddress(true);
            tcp.bind(bind, 50);
            return new TestDnsServer(udp, tcp);
        } catch (IOException e) {
            udp.close();
            throw e;
        }
    }

    /** The address to configure as resolver. */
    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** The port (UDP and TCP). */
    public int port() {
        return udp.getLocalPort();
    }

    /** Adds one TXT record at {@code name} whose rdata holds the given character-strings (each up to 255 bytes). */
    public TestDnsServer txt(String name, String... strings) {
        Name n = name(name);
        return add(new TXTRecord(n, DClass.IN, TTL, List.of(strings)));
    }

    /** Sets the CNAME of {@code name} (replacing all its other data, as DNS requires). */
    public TestDnsServer cname(String name, String target) {
        Name n = name(name);
        zone.remove(n);
        return add(new CNAMERecord(n, DClass.IN, TTL, name(target)));
    }

    /** Adds A records (IPv4 literals). */
    public TestDnsServer a(String name, String... addresses) {
        for (String address : addresses) {
            add(new ARecord(name(name), DClass.IN, TTL, literal(address)));
        }
        return this;
    }

    /** Adds AAAA records (IPv6 literals). */
    public TestDnsServer aaaa(String name, String... addresses) {
        for (String address : addresses) {
            add(new AAAARecord(name(name), DClass.IN, TTL, literal(address)));
        }
        return this;
    }

    /** Adds an MX record. */
    public TestDnsServer mx(String name, int preference, String host) {
        return add(new MXRecord(name(name), DClass.IN, TTL, preference, name(host)));
    }

    /**
     * Replaces all MX records of {@code name} by one pointing at {@code host}, atomically: a query
     * never sees the name without MX data in between (as when an attacker or an administrator edits
     * a zone).
     */
    public TestDnsServer replaceMx(String name, int preference, String host) {
        Name n = name(name);
        Record mx = new MXRecord(n, DClass.IN, TTL, preference, name(host));
        zone.compute(n, (k, old) -> {
            List<Record> next = new CopyOnWriteArrayList<>();
            if (old != null) {
                for (Record r : old) {
                    if (r.getType() != Type.MX) {
                        next.add(r);
                    }
                }
            }
            next.add(mx);
            return next;
        });
        return this;
    }

    /** Makes every query for {@code name} misbehave; {@code null} removes the fault. */
    public TestDnsServer fault(String name, Fault fault) {
        return fault(name, ANY_TYPE, fault);
    }

    /** Makes queries for {@code name}/{@code type} misbehave; {@code null} removes the fault. */
    public TestDnsServer fault(String name, int type, Fault fault) {
        String key = key(name(name), type);
        if (fault == null) {
            faults.remove(key);
        } else {
            faults.put(key, fault);
        }
        return this;
    }

    /** Removes all data and faults of {@code name}: it then answers NXDOMAIN. */
    public TestDnsServer clear(String name) {
        Name n = name(name);
        zone.remove(n);
        faults.keySet().removeIf(k -> k.startsWith(n.toString().toLowerCase() + "/"));
        return this;
    }

    /**
     * Whether answers include the records a CNAME points to when this server has them (true, the
     * default, like an authoritative server answering in its own zone), or stop at the CNAME (so that
     * the client must ask again for the target).
     */
    public TestDnsServer chaseCnames(boolean chase) {
        this.chaseCnames = chase;
        return this;
    }

    /**
     * Makes every answer for {@code name} (any type, UDP and TCP) leave only {@code delay} after its
     * query arrived, as from a slow or distant authoritative server; other names are answered
     * meanwhile. {@code null} or zero removes the delay. Counters count the query on arrival.
     */
    public TestDnsServer delay(String name, Duration delay) {
        Name n = name(name);
        if (delay == null || delay.isZero()) {
            delays.remove(n);
        } else {
            delays.put(n, delay);
        }
        return this;
    }

    /** How many queries for {@code name}/{@code type} arrived, over UDP and TCP together. */
    public int queries(String name, int type) {
        AtomicInteger c = counts.get(key(name(name), type));
        return c == null ? 0 : c.get();
    }

    /** How many of those arrived over TCP. */
    public int tcpQueries(String name, int type) {
        AtomicInteger c = tcpCounts.get(key(name(name), type));
        return c == null ? 0 : c.get();
    }

    /** Sets all query counters to zero. */
    public void resetCounts() {
        counts.clear();
        tcpCounts.clear();
    }

    /** Stops both listeners and drops open TCP connections. */
    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : connections) {
            closeQuietly(s);
        }
        threads.shutdownNow();
    }

    // ---- wire ----

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(packet);
                Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                Message response = answer(query, false);
                if (response == null) {
                    continue;
                }
                OPTRecord opt = query.getOPT();
                int max = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
                byte[] wire = response.toWire(max); // sets TC when the answer does not fit
                Duration delay = delayOf(query);
                if (delay != null) {
                    SocketAddress client = packet.getSocketAddress();
                    threads.execute(() -> {
                        if (pause(delay)) {
                            try {
                                udp.send(new DatagramPacket(wire, wire.length, client));
                            } catch (IOException ignored) {
                                // closed meanwhile
                            }
                        }
                    });
                    continue;
                }
                udp.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (SocketException e) {
                return; // closed
            } catch (IOException | RuntimeException e) {
                // a malformed query: ignore it, as a real server would
            }
        }
    }

    private void acceptTcp() {
        while (!closed) {
            try {
                Socket s = tcp.accept();
                connections.add(s);
                threads.execute(() -> serveTcp(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serveTcp(Socket s) {
        try (Socket socket = s) {
            socket.setSoTimeout(30_000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (!closed) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException e) {
                    return;
                }
                byte[] data = new byte[len];
                in.readFully(data);
                Message tcpQuery = new Message(data);
                Message response = answer(tcpQuery, true);
                if (response == null) {
                    continue;
                }
                Duration delay = delayOf(tcpQuery);
                if (delay != null && !pause(delay)) {
                    return;
                }
                byte[] wire = response.toWire();
                out.writeShort(wire.length);
                out.write(wire);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // connection gone or garbage received
        } finally {
            connections.remove(s);
        }
    }

    /** The response to {@code query}, or null to stay silent. */
    private Message answer(Message query, boolean overTcp) {
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        if (question == null) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response;
        }
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        Name qname = question.getName();
        int qtype = question.getType();
        count(counts, qname, qtype);
        if (overTcp) {
            count(tcpCounts, qname, qtype);
        }
        Fault fault = faults.get(key(qname, qtype));
        if (fault == null) {
            fault = faults.get(key(qname, ANY_TYPE));
        }
        if (fault != null) {
            switch (fault) {
                case DROP:
                    return null;
                case SERVFAIL:
                    response.getHeader().setRcode(Rcode.SERVFAIL);
                    return response;
                case REFUSED:
                    response.getHeader().setRcode(Rcode.REFUSED);
                    return response;
                case NXDOMAIN:
                    response.getHeader().setRcode(Rcode.NXDOMAIN);
                    return response;
                case TRUNCATE:
                    if (!overTcp) {
                        response.getHeader().setFlag(Flags.TC);
                        return response;
                    }
                    break;
                default:
                    break;
            }
        }
        Name n = qname;
        for (int depth = 0; depth < 16; depth++) {
            List<Record> data = zone.get(n);
            if (data == null || data.isEmpty()) {
                if (n.equals(qname)) {
                    response.getHeader().setRcode(Rcode.NXDOMAIN);
                }
                return response; // a dangling CNAME: the client asks for the target itself
            }
            Name next = null;
            for (Record r : data) {
                if (r.getType() == qtype) {
                    response.addRecord(r, Section.ANSWER);
                } else if (r.getType() == Type.CNAME && qtype != Type.CNAME) {
                    response.addRecord(r, Section.ANSWER);
                    next = ((CNAMERecord) r).getTarget();
                }
            }
            if (next == null || !chaseCnames) {
                return response;
            }
            n = next;
        }
        return response;
    }

    /** The delay set for the query's name, or null. */
    private Duration delayOf(Message query) {
        Record question = query.getQuestion();
        return question == null ? null : delays.get(question.getName());
    }

    /** Sleeps {@code d}; false when interrupted (the server is closing). */
    private static boolean pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private TestDnsServer add(Record r) {
        zone.computeIfAbsent(r.getName(), k -> new CopyOnWriteArrayList<>()).add(r);
        return this;
    }

    private static void count(Map<String, AtomicInteger> map, Name name, int type) {
        map.computeIfAbsent(key(name, type), k -> new AtomicInteger()).incrementAndGet();
    }

    private static String key(Name name, int type) {
        return name.toString().toLowerCase() + "/" + type;
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad DNS name " + s, e);
        }
    }

    private static InetAddress literal(String address) {
        try {
            // Only literals: InetAddress does no lookup for them.
            if (!address.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("not an IP literal: " + address);
            }
            return InetAddress.getByName(address);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP literal: " + address, e);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
