package dev.jamesmtasts.mtasts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A small stub resolver over dnsjava's {@link SimpleResolver}: sends each query itself (no dnsjava
 * {@code Lookup}, hence no hidden cache), over UDP first and again over TCP when the UDP answer is
 * truncated, tries the configured servers in order, and follows CNAME chains (RFC 8461 §3.1 allows a
 * CNAME at {@code _mta-sts.<domain>}). Thread-safe: the resolvers are configured once and never
 * mutated afterwards.
 *
 * <p>Error mapping: NXDOMAIN and NODATA are answers; SERVFAIL, REFUSED, any other rcode, a time-out or
 * a network error from one server makes the client try the next one, and only when every server
 * failed is the result {@link Status#TEMPORARY}. Worst-case time is therefore
 * {@code servers × (1 + TCP retry) × timeout} per hop of a CNAME chain.
 */
final class DnsClient {
    /** Longest CNAME chain followed; longer chains or loops are a temporary error (never "no record"). */
    static final int MAX_CNAME_HOPS = 8;

    /** The outcome of one lookup. */
    enum Status { OK, NXDOMAIN, NODATA, TEMPORARY }

    /** Records of the asked type at the end of the CNAME chain (for OK), with a human-readable detail. */
    static final class Answer {
        final Status status;
        final List<Record> records;
        final String detail;

        Answer(Status status, List<Record> records, String detail) {
            this.status = status;
            this.records = records;
            this.detail = detail;
        }

        @Override
        public String toString() {
            return status + ": " + detail;
        }
    }

    private final List<SimpleResolver> udp = new ArrayList<>();
    private final List<SimpleResolver> tcp = new ArrayList<>();
    private final List<InetSocketAddress> servers;

    DnsClient(List<InetSocketAddress> configured, Duration timeout) {
        List<InetSocketAddress> list = configured.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : configured;
        this.servers = List.copyOf(list);
        for (InetSocketAddress server : servers) {
            SimpleResolver u = new SimpleResolver(server);
            u.setTimeout(timeout);
            // We look at the TC bit ourselves so that the fallback is explicit and observable.
            u.setIgnoreTruncation(true);
            udp.add(u);
            SimpleResolver t = new SimpleResolver(server);
            t.setTimeout(timeout);
            t.setTCP(true);
            tcp.add(t);
        }
    }

    List<InetSocketAddress> servers() {
        return servers;
    }

    /** Looks up {@code name}/{@code type}, following CNAMEs. Never throws. */
    Answer query(String name, int type) {
        Name current;
        try {
            current = Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            return new Answer(Status.NXDOMAIN, List.of(), "not a valid DNS name: " + name);
        }
        if (servers.isEmpty()) {
            return new Answer(Status.TEMPORARY, List.of(), "no DNS resolver configured");
        }
        Set<Name> seen = new HashSet<>();
        seen.add(current);
        String typeName = Type.string(type);
        for (int query = 0; query <= MAX_CNAME_HOPS; query++) {
            Message response;
            try {
                response = send(current, type);
            } catch (IOException e) {
                return new Answer(Status.TEMPORARY, List.of(), typeName + " " + current + ": " + e.getMessage());
            }
            List<Record> answers = response.getSection(Section.ANSWER);
            // Walk the chain as far as this response carries it.
            Name n = current;
            while (true) {
                List<Record> data = new ArrayList<>();
                Name next = null;
                for (Record r : answers) {
                    if (!r.getName().equals(n) || r.getDClass() != DClass.IN) {
                        continue;
                    }
                    if (r.getType() == type) {
                        data.add(r);
                    } else if (r.getType() == Type.CNAME && type != Type.CNAME) {
                        next = ((CNAMERecord) r).getTarget();
                    }
                }
                if (!data.isEmpty()) {
                    return new Answer(Status.OK, List.copyOf(data), data.size() + " " + typeName + " at " + n);
                }
                if (next == null) {
                    break;
                }
                if (!seen.add(next) || seen.size() > MAX_CNAME_HOPS + 1) {
                    return new Answer(Status.TEMPORARY, List.of(), "CNAME chain from " + name + " loops or exceeds "
                            + MAX_CNAME_HOPS + " hops");
                }
                n = next;
            }
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return new Answer(Status.NXDOMAIN, List.of(), "NXDOMAIN for " + n);
            }
            if (n.equals(current) || hasAnyRecordAt(answers, n)) {
                return new Answer(Status.NODATA, List.of(), "no " + typeName + " record at " + n);
            }
            // The response ended at a CNAME whose target it does not cover: ask for the target.
            current = n;
        }
        return new Answer(Status.TEMPORARY, List.of(), "CNAME chain from " + name + " exceeds " + MAX_CNAME_HOPS + " hops");
    }

    private static boolean hasAnyRecordAt(List<Record> answers, Name n) {
        for (Record r : answers) {
            if (r.getName().equals(n)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends one question to the servers in order until one gives a usable answer (NOERROR or
     * NXDOMAIN). UDP first; a truncated UDP answer is asked again over TCP.
     */
    private Message send(Name name, int type) throws IOException {
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            try {
                Message response = udp.get(i).send(query);
                if (response.getHeader().getFlag(Flags.TC)) {
                    response = tcp.get(i).send(query);
                }
                int rcode = response.getRcode();
                if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                    return response;
                }
                append(failures, servers.get(i), Rcode.string(rcode));
            } catch (IOException | RuntimeException e) {
                append(failures, servers.get(i), describe(e));
            }
        }
        throw new IOException(failures.toString());
    }

    private static void append(StringBuilder sb, InetSocketAddress server, String what) {
        if (sb.length() > 0) {
            sb.append("; ");
        }
        sb.append(what).append(" from ").append(server.getHostString()).append(':').append(server.getPort());
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        // dnsjava reports a time-out as a plain IOException "Timed out while trying to resolve ...".
        if (e instanceof java.io.InterruptedIOException || (m != null && m.startsWith("Timed out"))) {
            return "time-out";
        }
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }
}
