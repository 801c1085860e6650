package dev.jamesmtasts.mtasts;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Plain (not DNSSEC-validated) MX and address lookups through the configured resolvers, for a tool that
 * has no James {@code DNSService} to ask: the MX hosts an SMTP client would try for a domain (RFC 5321
 * §5.1), in preference order, and the addresses of one host. Same resolvers and per-lookup deadline as
 * the {@code _mta-sts} lookups ({@link MtaStsSettings#resolvers()}, {@link MtaStsSettings#dnsTimeout()}).
 * Thread-safe; never throws.
 */
public final class MxLookup {
    private final DnsClient dns;

    public MxLookup(MtaStsSettings settings) {
        this.dns = new DnsClient(settings.resolvers(), settings.dnsTimeout());
    }

    /** The MX hosts of a domain. */
    public static final class Result {
        /** What DNS said. */
        public enum Kind {
            /** MX records: {@link #hosts()} in preference order. */
            FOUND,
            /** No MX records: the domain itself is the host (RFC 5321 §5.1 implicit MX). */
            IMPLICIT,
            /** A null MX (RFC 7505): the domain accepts no mail. */
            NULL_MX,
            /** No such domain. */
            NXDOMAIN,
            /** No answer (time-out, SERVFAIL): try again later. */
            TEMPORARY
        }

        private final Kind kind;
        private final List<Host> hosts;
        private final String detail;

        Result(Kind kind, List<Host> hosts, String detail) {
            this.kind = kind;
            this.hosts = List.copyOf(hosts);
            this.detail = detail;
        }

        public Kind kind() {
            return kind;
        }

        /** The hosts to try, lowest preference first (lower case, no trailing dot). */
        public List<Host> hosts() {
            return hosts;
        }

        /** What was found, in words (names escaped). */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return kind + ": " + detail;
        }
    }

    /** One MX host and its preference (RFC 5321 §5.1). */
    public static final class Host {
        private final int preference;
        private final String name;

        public Host(int preference, String name) {
            this.preference = preference;
            this.name = name;
        }

        public int preference() {
            return preference;
        }

        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return preference + " " + name;
        }
    }

    /** The MX hosts of {@code domain} (a valid domain name), within one DNS deadline. */
    public Result mx(String domain) {
        DnsClient.Answer a = dns.query(domain, Type.MX);
        switch (a.status) {
            case TEMPORARY:
                return new Result(Result.Kind.TEMPORARY, List.of(), SafeText.display(a.detail));
            case NXDOMAIN:
                return new Result(Result.Kind.NXDOMAIN, List.of(), SafeText.display(a.detail));
            case NODATA:
                return new Result(Result.Kind.IMPLICIT, List.of(new Host(0, domain)),
                        "no MX records: the domain itself is the host (RFC 5321 §5.1)");
            default:
                break;
        }
        List<Host> hosts = new ArrayList<>();
        for (Record r : a.records) {
            MXRecord mx = (MXRecord) r;
            String target = mx.getTarget().toString().toLowerCase(Locale.ROOT);
            target = target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
            if (target.isEmpty()) {
                if (a.records.size() == 1) {
                    return new Result(Result.Kind.NULL_MX, List.of(), "null MX (RFC 7505): the domain accepts no mail");
                }
                continue; // RFC 7505 §3: a null MX among others is a misconfiguration; the others still name hosts
            }
            hosts.add(new Host(mx.getPriority(), target));
        }
        hosts.sort(Comparator.comparingInt(Host::preference)); // stable: equal preferences keep DNS order
        return new Result(Result.Kind.FOUND, hosts, hosts.size() + " MX record(s)");
    }

    /**
     * The addresses of {@code host} (A, then AAAA), asked no later than {@code deadlineNanos}; empty when
     * it has none or the lookups failed ({@code why}, when given, receives the reason).
     */
    public List<InetAddress> addresses(String host, long deadlineNanos, StringBuilder why) {
        DnsClient.Addresses found = dns.addresses(host, deadlineNanos);
        if (found.all.isEmpty() && why != null) {
            why.append(SafeText.display("A " + found.a.detail + "; AAAA " + found.aaaa.detail));
        }
        return found.all;
    }
}
