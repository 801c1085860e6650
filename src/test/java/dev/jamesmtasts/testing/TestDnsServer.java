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
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
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
 *
 * <p><b>DNSSEC.</b> Zones declared with {@link #signedZone} are signed on the fly (RFC 4033-4035) with
 * an ECDSA P-256 key of their own (one key, flags 257, used as KSK and ZSK) when a query sets the DO
 * bit (RFC 3225): every RRset in the answer gets its RRSIG (RFC 4035 §3.1.1), the apex serves its
 * SOA, NS and DNSKEY RRsets, the parent zone serves the DS (RFC 4035 §3.1.4.1), and denials carry
 * the zone's signed SOA and NSEC records (RFC 4035 §3.1.3: the NSEC at the name for NODATA, the
 * covering NSEC and the one denying the wildcard for NXDOMAIN). {@link #unsignedZone} declares an
 * unsigned child: its parent's NSEC at the delegation point lists NS and no DS, the proof of an
 * insecure delegation (RFC 4035 §5.2). {@link #dsPublished} and {@link #signatureFault} break things
 * on purpose. The server answers for every zone itself, as a recursive resolver would (validators
 * expect that of their upstream). Names outside any declared zone behave as without DNSSEC; inside a
 * zone a name with no data but with names below it is an empty non-terminal (NODATA, not NXDOMAIN).
 *
 * <pre>
 * dns.signedZone(".").signedZone("example.").unsignedZone("plain.example.")
 *    .mx("example.", 10, "mx.example.").a("mx.example.", "127.0.0.1");
 * String anchor = dns.trustAnchor(".");   // ". 300 IN DS ..." for the validator
 * </pre>
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

    /** A scripted DNSSEC failure for the RRSIGs of a name (or a name and type) in a signed zone. */
    public enum SignatureFault {
        /** The signature bytes are altered: it no longer verifies (RFC 4035 §5.3.3). */
        BAD_SIGNATURE,
        /** Signed with a validity period that ended yesterday (RFC 4035 §5.3.1). */
        EXPIRED,
        /** No RRSIG at all, although the zone is signed (RFC 4035 §5.5: bogus, not insecure). */
        MISSING
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
    private final Map<Name, Zone> zones = new ConcurrentHashMap<>();
    private final Map<String, SignatureFault> signatureFaults = new ConcurrentHashMap<>();
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

    /** Adds a TLSA record (RFC 6698 §2.1): usage, selector, matching type and association data. */
    public TestDnsServer tlsa(String name, int usage, int selector, int matchingType, byte[] data) {
        return add(new TLSARecord(name(name), DClass.IN, TTL, usage, selector, matchingType, data));
    }

    /** Adds any record (class IN). */
    public TestDnsServer record(Record r) {
        return add(r);
    }

    /**
     * Declares a signed zone at {@code apex} ("." for a test root): a fresh key, SOA, NS and DNSKEY at the
     * apex; its parent zone, when declared and signed, publishes its DS. See the class comment.
     */
    public TestDnsServer signedZone(String apex) {
        return zone(name(apex), true);
    }

    /** Declares an unsigned zone at {@code apex} (SOA and NS at the apex): an insecure delegation. */
    public TestDnsServer unsignedZone(String apex) {
        return zone(name(apex), false);
    }

    /**
     * Whether the parent of the signed zone {@code apex} publishes its DS (true by default). Without
     * it the zone is an island: a validator treats it as insecure (RFC 4035 §5.2) as long as the
     * parent's NSEC proves the DS absent.
     */
    public TestDnsServer dsPublished(String apex, boolean published) {
        zoneAt(name(apex)).dsPublished = published;
        return this;
    }

    /** The DS record of the signed zone {@code apex} in zone-file form: a trust anchor for a validator. */
    public String trustAnchor(String apex) {
        return ds(zoneAt(name(apex))).toString();
    }

    /** Makes the RRSIGs over the RRsets of {@code name} fail as {@code fault}; {@code null} removes it. */
    public TestDnsServer signatureFault(String name, SignatureFault fault) {
        return signatureFault(name, ANY_TYPE, fault);
    }

    /** Makes the RRSIG over the RRset {@code name}/{@code type} fail as {@code fault}; {@code null} removes it. */
    public TestDnsServer signatureFault(String name, int type, SignatureFault fault) {
        String key = key(name(name), type);
        if (fault == null) {
            signatureFaults.remove(key);
        } else {
            signatureFaults.put(key, fault);
        }
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
        Zone z = zones.isEmpty() ? null : zoneFor(qname, qtype);
        if (z != null && qtype == Type.DS && zones.containsKey(qname) && !qname.equals(z.apex)) {
            // RFC 4035 §3.1.4.1: the DS of a child is served by the parent zone.
            Record ds = dsAt(qname);
            if (ds != null) {
                response.addRecord(ds, Section.ANSWER);
            }
        } else {
            resolve(response, qname, qtype);
        }
        if (z != null) {
            OPTRecord opt = query.getOPT();
            boolean dnssecOk = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
            dnssec(response, z, qname, qtype, dnssecOk);
        }
        return response;
    }

    /** Fills the answer section from the zone data, following CNAMEs when {@link #chaseCnames}. */
    private void resolve(Message response, Name qname, int qtype) {
        Name n = qname;
        Set<Name> seen = new java.util.HashSet<>();
        for (int depth = 0; depth < 16; depth++) {
            if (!seen.add(n) && zoneOf(qname) != null) {
                // In a declared zone the server acts as a recursive resolver, which gives up on a
                // CNAME loop with SERVFAIL (elsewhere the loop is served as is, for client tests).
                response.removeAllRecords(Section.ANSWER);
                response.getHeader().setRcode(Rcode.SERVFAIL);
                return;
            }
            List<Record> data = zone.get(n);
            if (data == null || data.isEmpty()) {
                if (n.equals(qname)) {
                    response.getHeader().setRcode(Rcode.NXDOMAIN);
                }
                return; // a dangling CNAME: the client asks for the target itself
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
                return;
            }
            n = next;
        }
    }

    // ---- DNSSEC ----

    /** A zone declared by {@link #signedZone} or {@link #unsignedZone}. */
    private static final class Zone {
        final Name apex;
        final boolean signed;
        final KeyPair keys;
        final DNSKEYRecord dnskey;
        volatile boolean dsPublished = true;

        Zone(Name apex, boolean signed, KeyPair keys, DNSKEYRecord dnskey) {
            this.apex = apex;
            this.signed = signed;
            this.keys = keys;
            this.dnskey = dnskey;
        }
    }

    private TestDnsServer zone(Name apex, boolean signed) {
        KeyPair keys = null;
        DNSKEYRecord dnskey = null;
        if (signed) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                keys = g.generateKeyPair();
                // Flags 257 = Zone Key + Secure Entry Point (RFC 4034 §2.1.1), protocol 3.
                dnskey = new DNSKEYRecord(apex, DClass.IN, TTL, DNSKEYRecord.Flags.ZONE_KEY | DNSKEYRecord.Flags.SEP_KEY,
                        DNSKEYRecord.Protocol.DNSSEC, DNSSEC.Algorithm.ECDSAP256SHA256, keys.getPublic());
            } catch (GeneralSecurityException | DNSSEC.DNSSECException e) {
                throw new IllegalStateException("cannot make a zone key", e);
            }
        }
        Zone z = new Zone(apex, signed, keys, dnskey);
        zones.put(apex, z);
        Name ns = below("ns", apex);
        Name admin = below("hostmaster", apex);
        add(new SOARecord(apex, DClass.IN, TTL, ns, admin, 1, 3600, 600, 86400, TTL));
        add(new NSRecord(apex, DClass.IN, TTL, ns));
        if (dnskey != null) {
            add(dnskey);
        }
        return this;
    }

    private Zone zoneAt(Name apex) {
        Zone z = zones.get(apex);
        if (z == null) {
            throw new IllegalArgumentException("no zone declared at " + apex);
        }
        return z;
    }

    private static DSRecord ds(Zone z) {
        if (!z.signed) {
            throw new IllegalArgumentException(z.apex + " is not signed");
        }
        return new DSRecord(z.apex, DClass.IN, TTL, DNSSEC.Digest.SHA256, z.dnskey);
    }

    /** The DS the parent publishes for the child zone at {@code apex}, or null. */
    private Record dsAt(Name apex) {
        Zone child = zones.get(apex);
        return child != null && child.signed && child.dsPublished ? ds(child) : null;
    }

    /** The zone holding {@code n}: the declared zone with the longest apex that is {@code n} or above it. */
    private Zone zoneOf(Name n) {
        for (Name a = n; ; a = parent(a)) {
            Zone z = zones.get(a);
            if (z != null) {
                return z;
            }
            if (a.equals(Name.root)) {
                return null;
            }
        }
    }

    /** The zone that answers {@code qname}/{@code qtype}: a DS at a zone apex is the parent's. */
    private Zone zoneFor(Name qname, int qtype) {
        if (qtype == Type.DS && zones.containsKey(qname) && !qname.equals(Name.root)) {
            Zone parent = zoneOf(parent(qname));
            return parent != null ? parent : zones.get(qname);
        }
        return zoneOf(qname);
    }

    /** The zone whose key signs the RRset {@code owner}/{@code type}. */
    private Zone signerOf(Name owner, int type) {
        return zoneFor(owner, type);
    }

    /** {@code label.n}. */
    private static Name below(String label, Name n) {
        try {
            return Name.fromString(label, n);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad DNS label " + label, e);
        }
    }

    private static Name parent(Name n) {
        return n.labels() <= 1 ? Name.root : new Name(n, 1);
    }

    /** Adds signatures and denial proofs for a signed zone when the query asked for them (DO bit). */
    private void dnssec(Message response, Zone z, Name qname, int qtype, boolean dnssecOk) {
        List<Record> answer = response.getSection(Section.ANSWER);
        if (answer.isEmpty() && response.getRcode() == Rcode.NXDOMAIN && hasBelow(qname)) {
            response.getHeader().setRcode(Rcode.NOERROR); // an empty non-terminal (RFC 8020 §2)
        }
        List<Record> authority = new ArrayList<>();
        if (answer.isEmpty()) {
            // RFC 2308 §3: a negative answer carries the zone's SOA (a validator finds the zone by it).
            for (Record r : zone.getOrDefault(z.apex, List.of())) {
                if (r.getType() == Type.SOA) {
                    response.addRecord(r, Section.AUTHORITY);
                    authority.add(r);
                }
            }
        }
        if (!dnssecOk) {
            return;
        }
        response.addRecord(new OPTRecord(4096, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        Instant now = Instant.now();
        for (RRset set : rrsets(answer)) {
            Zone signer = signerOf(set.getName(), set.getType());
            RRSIGRecord sig = signer == null ? null : sign(signer, set, now);
            if (sig != null) {
                response.addRecord(sig, Section.ANSWER);
            }
        }
        if (!answer.isEmpty() || !z.signed) {
            return;
        }
        List<Record> proofs = new ArrayList<>();
        NavigableSet<Name> chain = nsecChain(z);
        if (response.getRcode() == Rcode.NXDOMAIN) {
            proofs.add(nsec(z, chain, covering(chain, qname)));
            Name encloser = parent(qname);
            while (!encloser.equals(z.apex) && !chain.contains(encloser) && !hasBelow(encloser)) {
                encloser = parent(encloser);
            }
            Name wildcard = below("*", encloser);
            Record wildcardProof = nsec(z, chain, covering(chain, wildcard));
            if (!proofs.contains(wildcardProof)) {
                proofs.add(wildcardProof);
            }
        } else if (chain.contains(qname)) {
            proofs.add(nsec(z, chain, qname));
        } else {
            proofs.add(nsec(z, chain, covering(chain, qname))); // empty non-terminal
        }
        for (Record r : proofs) {
            response.addRecord(r, Section.AUTHORITY);
        }
        authority.addAll(proofs);
        for (RRset set : rrsets(authority)) {
            RRSIGRecord sig = sign(z, set, now);
            if (sig != null) {
                response.addRecord(sig, Section.AUTHORITY);
            }
        }
    }

    /** Whether some name with data lies strictly below {@code n}. */
    private boolean hasBelow(Name n) {
        for (Map.Entry<Name, List<Record>> e : zone.entrySet()) {
            if (!e.getValue().isEmpty() && e.getKey().subdomain(n) && !e.getKey().equals(n)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The owner names of {@code z}'s NSEC chain in canonical order (RFC 4034 §6.1): its names with data
     * and its delegation points, not what lies below them.
     */
    private NavigableSet<Name> nsecChain(Zone z) {
        NavigableSet<Name> chain = new TreeSet<>();
        chain.add(z.apex);
        for (Map.Entry<Name, List<Record>> e : zone.entrySet()) {
            if (!e.getValue().isEmpty() && zoneOf(e.getKey()) == z) {
                chain.add(e.getKey());
            }
        }
        for (Zone child : zones.values()) {
            if (child != z && !child.apex.equals(Name.root) && zoneOf(parent(child.apex)) == z) {
                chain.add(child.apex);
            }
        }
        return chain;
    }

    /** The chain name whose NSEC covers {@code n} (the last one before it in canonical order). */
    private static Name covering(NavigableSet<Name> chain, Name n) {
        Name before = chain.lower(n);
        return before != null ? before : chain.last();
    }

    /** The NSEC record at {@code owner} of {@code z}'s chain (RFC 4034 §4). */
    private NSECRecord nsec(Zone z, NavigableSet<Name> chain, Name owner) {
        Name next = chain.higher(owner);
        Set<Integer> types = new TreeSet<>();
        if (!owner.equals(z.apex) && zones.containsKey(owner)) {
            // A delegation point in the parent's chain: NS, and DS when published (RFC 4035 §2.3).
            types.add(Type.NS);
            if (dsAt(owner) != null) {
                types.add(Type.DS);
            }
        } else {
            for (Record r : zone.getOrDefault(owner, List.of())) {
                if (r.getType() != Type.DS) {
                    types.add(r.getType());
                }
            }
        }
        types.add(Type.RRSIG);
        types.add(Type.NSEC);
        int[] bitmap = types.stream().mapToInt(Integer::intValue).toArray();
        return new NSECRecord(owner, DClass.IN, TTL, next != null ? next : chain.first(), bitmap);
    }

    /** The records grouped into RRsets (same owner and type), in order of first appearance. */
    private static List<RRset> rrsets(List<Record> records) {
        Map<String, RRset> sets = new LinkedHashMap<>();
        for (Record r : records) {
            if (r.getType() == Type.RRSIG || r.getType() == Type.OPT) {
                continue;
            }
            sets.computeIfAbsent(key(r.getName(), r.getType()), k -> new RRset()).addRR(r);
        }
        return new ArrayList<>(sets.values());
    }

    /** The RRSIG over {@code set} by {@code z}'s key, as altered by a {@link SignatureFault}; null for none. */
    private RRSIGRecord sign(Zone z, RRset set, Instant now) {
        if (!z.signed) {
            return null;
        }
        SignatureFault fault = signatureFaults.get(key(set.getName(), set.getType()));
        if (fault == null) {
            fault = signatureFaults.get(key(set.getName(), ANY_TYPE));
        }
        if (fault == SignatureFault.MISSING) {
            return null;
        }
        Instant inception = now.minus(Duration.ofHours(1));
        Instant expiration = now.plus(Duration.ofDays(7));
        if (fault == SignatureFault.EXPIRED) {
            inception = now.minus(Duration.ofDays(14));
            expiration = now.minus(Duration.ofDays(1));
        }
        RRSIGRecord sig;
        try {
            sig = DNSSEC.sign(set, z.dnskey, z.keys.getPrivate(), inception, expiration);
        } catch (DNSSEC.DNSSECException e) {
            throw new IllegalStateException("cannot sign " + set.getName(), e);
        }
        if (fault == SignatureFault.BAD_SIGNATURE) {
            byte[] bytes = sig.getSignature().clone();
            bytes[bytes.length / 2] ^= 0x55;
            sig = new RRSIGRecord(sig.getName(), sig.getDClass(), sig.getTTL(), sig.getTypeCovered(),
                    sig.getAlgorithm(), sig.getOrigTTL(), sig.getExpire(), sig.getTimeSigned(),
                    sig.getFootprint(), sig.getSigner(), bytes);
        }
        return sig;
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
