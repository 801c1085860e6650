package dev.jamesmtasts.mtasts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
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
 * CNAME at {@code _mta-sts.<domain>}). Thread-safe: no mutable state (each query gets a resolver
 * object of its own, set to the time it may still take).
 *
 * <p>Error mapping: NXDOMAIN and NODATA are answers; SERVFAIL, REFUSED, any other rcode, a time-out or
 * a network error from one server makes the client try the next one, and only when every server
 * failed is the result {@link Status#TEMPORARY}.
 *
 * <p>Time bound: {@code timeout} bounds one query sent to one server; ONE deadline,
 * {@link #lookupBudget()} = {@code timeout × number of servers}, bounds a whole lookup: every CNAME
 * hop, every server and the TCP retry of a truncated answer share it. A CNAME chain whose hops each
 * answer just inside the per-query time-out therefore cannot stretch a lookup to
 * {@code hops × timeout}: the hop asked when the deadline has passed is never sent, and the lookup is
 * {@link Status#TEMPORARY} (a time-out never reads as "no record", RFC 8461 §3.1/§5). A caller with
 * a tighter bound of its own (the policy fetch, whose deadline covers the policy host's A/AAAA
 * lookups) passes it to {@link #query(String, int, long)}.
 */
final class DnsClient {
    /** Longest CNAME chain followed; longer chains or loops are a temporary error (never "no record"). */
    static final int MAX_CNAME_HOPS = 8;
    private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

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

    private final List<InetSocketAddress> servers;
    private final long timeoutNanos;
    private final long budgetNanos;

    DnsClient(List<InetSocketAddress> configured, Duration timeout) {
        this.servers = serversOrSystem(configured);
        this.timeoutNanos = timeout.toNanos();
        this.budgetNanos = timeoutNanos * Math.max(1, servers.size());
    }

    List<InetSocketAddress> servers() {
        return servers;
    }

    /** The configured resolvers, or the system's (as dnsjava reads them) when none is configured. */
    static List<InetSocketAddress> serversOrSystem(List<InetSocketAddress> configured) {
        return List.copyOf(configured.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : configured);
    }

    /** The bound on one whole lookup (all CNAME hops, all servers): the time-out × the number of servers. */
    Duration lookupBudget() {
        return Duration.ofNanos(budgetNanos);
    }

    /** The addresses of a host: A, then AAAA (each lookup's answer kept for its status and detail). */
    static final class Addresses {
        final List<InetAddress> all;
        final Answer a;
        final Answer aaaa;

        Addresses(List<InetAddress> all, Answer a, Answer aaaa) {
            this.all = all;
            this.a = a;
            this.aaaa = aaaa;
        }

        /** Either lookup failed temporarily. */
        boolean temporary() {
            return a.status == Status.TEMPORARY || aaaa.status == Status.TEMPORARY;
        }
    }

    /** A then AAAA of {@code host}, no query sent after {@code notAfter} (a {@link System#nanoTime()} value). */
    Addresses addresses(String host, long notAfter) {
        Answer a = query(host, Type.A, notAfter);
        Answer aaaa = query(host, Type.AAAA, notAfter);
        List<InetAddress> all = new ArrayList<>();
        for (Record r : a.records) {
            all.add(((ARecord) r).getAddress());
        }
        for (Record r : aaaa.records) {
            all.add(((AAAARecord) r).getAddress());
        }
        return new Addresses(all, a, aaaa);
    }

    /** Looks up {@code name}/{@code type}, following CNAMEs, within {@link #lookupBudget()}. Never throws. */
    Answer query(String name, int type) {
        return query(name, type, System.nanoTime() + budgetNanos);
    }

    /**
     * Looks up {@code name}/{@code type}, following CNAMEs, ending by {@code notAfter} (a
     * {@link System#nanoTime()} value) or {@link #lookupBudget()} from now, whichever comes first.
     * When that deadline passes the answer is {@link Status#TEMPORARY} and no further query is sent.
     * Never throws.
     */
    Answer query(String name, int type, long notAfter) {
        long start = System.nanoTime();
        long deadline = notAfter - (start + budgetNanos) < 0 ? notAfter : start + budgetNanos;
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
                response = send(current, type, deadline, start);
            } catch (IOException e) {
                return new Answer(Status.TEMPORARY, List.of(), typeName + " " + current + ": " + e.getMessage());
            }
            List<Record> answers = response.getSection(Section.ANSWER);
            ChainEnd end = followCnames(answers, current, type, seen);
            Name n = end.name;
            if (end.broken) {
                return new Answer(Status.TEMPORARY, List.of(), "CNAME chain from " + name + " loops or exceeds "
                        + MAX_CNAME_HOPS + " hops");
            }
            if (!end.data.isEmpty()) {
                return new Answer(Status.OK, end.data, end.data.size() + " " + typeName + " at " + n);
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

    /** Where a CNAME chain ends within one response (RFC 1034 §3.6.2). */
    static final class ChainEnd {
        /** The last name reached. */
        final Name name;
        /** The records of the asked type at {@link #name}; empty when the response has none. */
        final List<Record> data;
        /** The chain loops or is longer than {@link #MAX_CNAME_HOPS}: never an answer. */
        final boolean broken;

        ChainEnd(Name name, List<Record> data, boolean broken) {
            this.name = name;
            this.data = data;
            this.broken = broken;
        }
    }

    /**
     * Walks the CNAME chain from {@code start} as far as {@code answers} carries it. {@code seen} holds
     * the names already visited (at least {@code start}) and is added to, so that a chain followed over
     * several responses is bounded as a whole.
     */
    static ChainEnd followCnames(List<Record> answers, Name start, int type, Set<Name> seen) {
        Name n = start;
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
                return new ChainEnd(n, List.copyOf(data), false);
            }
            if (next == null) {
                return new ChainEnd(n, List.of(), false);
            }
            if (!seen.add(next) || seen.size() > MAX_CNAME_HOPS + 1) {
                return new ChainEnd(n, List.of(), true);
            }
            n = next;
        }
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
     * NXDOMAIN). UDP first; a truncated UDP answer is asked again over TCP. Each send waits at most
     * the per-query time-out and never past {@code deadline}; no server is asked once it has passed.
     */
    private Message send(Name name, int type, long deadline, long start) throws IOException {
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            InetSocketAddress server = servers.get(i);
            try {
                Message response = resolver(server, false, deadline, start).send(query);
                if (response.getHeader().getFlag(Flags.TC)) {
                    response = resolver(server, true, deadline, start).send(query);
                }
                int rcode = response.getRcode();
                if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                    return response;
                }
                append(failures, server, Rcode.string(rcode));
            } catch (DeadlinePassed e) {
                if (failures.length() > 0) {
                    failures.append("; ");
                }
                throw new IOException(failures.append(e.getMessage()).toString());
            } catch (IOException | RuntimeException e) {
                append(failures, server, describe(e));
            }
        }
        throw new IOException(failures.toString());
    }

    /**
     * A resolver for one send to {@code server}, waiting the per-query time-out or the time left
     * before {@code deadline}, whichever is shorter. dnsjava's resolvers keep their time-out as
     * mutable state, hence one (cheap: it holds only its settings) per send.
     */
    private SimpleResolver resolver(InetSocketAddress server, boolean overTcp, long deadline, long start)
            throws DeadlinePassed {
        long left = deadline - System.nanoTime();
        // dnsjava waits whole milliseconds (rounded down): a query with less than one left would end
        // before the deadline and let the next one start after it.
        if (left < MILLI) {
            throw new DeadlinePassed("time-out: the lookup's deadline passed after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms, before asking "
                    + server.getHostString() + ':' + server.getPort());
        }
        SimpleResolver r = new SimpleResolver(server);
        // Rounded up to whole milliseconds, so that a query cut short by the deadline ends at or after it.
        r.setTimeout(Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(Math.min(timeoutNanos, left) + MILLI - 1)));
        if (overTcp) {
            r.setTCP(true);
        } else {
            // We look at the TC bit ourselves so that the fallback is explicit and observable.
            r.setIgnoreTruncation(true);
        }
        return r;
    }

    /** The lookup's deadline passed before a query could be sent: no further server is asked. */
    private static final class DeadlinePassed extends IOException {
        private static final long serialVersionUID = 1L;

        DeadlinePassed(String message) {
            super(message);
        }
    }

    private static void append(StringBuilder sb, InetSocketAddress server, String what) {
        if (sb.length() > 0) {
            sb.append("; ");
        }
        sb.append(what).append(" from ").append(server.getHostString()).append(':').append(server.getPort());
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        // dnsjava reports a time-out as a plain IOException "Timed out while trying to resolve ...".
        if (e instanceof java.io.InterruptedIOException || (m != null && m.startsWith("Timed out"))) {
            return "time-out";
        }
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }
}
