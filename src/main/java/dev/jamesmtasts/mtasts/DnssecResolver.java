package dev.jamesmtasts.mtasts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.MissingResourceException;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * DNSSEC-validated lookups (RFC 4033/4035) for DANE (RFC 7672): a validating stub resolver, dnsjava's
 * {@link ValidatingResolver} (dnsjava ≥ 3.6, with the KeyTrap limits) around plain resolvers pointed
 * at the configured servers (or the system's), which must be recursive and pass DNSSEC records
 * through (the validator asks them with DO and CD set and checks every signature itself, RFC 4035
 * §4.9.1: the AD bit of the upstream is never trusted).
 *
 * <p>One deadline per lookup, as in {@link DnsClient}: {@code lookupBudget} bounds the whole lookup
 * (the asked record, and every DS and DNSKEY query the validator needs on the way down from the trust
 * anchor, TCP retries of truncated answers included); {@code queryTimeout} bounds each query sent to
 * one server. A lookup that runs out of time is {@link DnssecAnswer.Status#TEMPORARY}, never secure
 * and never "no record".
 *
 * <p>Thread-safe. Keeps the validated DNSKEYs it learned (the validator's key cache, bounded by their
 * TTLs), so reuse one instance.
 */
public final class DnssecResolver {
    /** The resource holding the root zone's trust anchors (IANA KSK-2017 and KSK-2024, as DS records). */
    static final String ROOT_ANCHORS_RESOURCE = "root-trust-anchors.txt";
    /** The setting name under which bad trust anchors are reported. */
    static final String TRUST_ANCHORS_SETTING = "dnssecTrustAnchors";

    /**
     * The validator's reason when the upstream answer could not be classified at all (SERVFAIL,
     * REFUSED, FORMERR from the recursive resolver): dnsjava reports it as bogus, but it says nothing
     * about signatures, so it is {@link DnssecAnswer.Status#TEMPORARY}. Read from the validator's own
     * message bundle ("messages", relocated with dnsjava in the packaged jar), as dnsjava formats it.
     */
    static final String UPSTREAM_FAILED_REASON = validatorMessage("validate.response.unknown", "UNKNOWN");

    private final ValidatingResolver validator;
    private final long budgetNanos;
    /** The owner of the first trust anchor (the zone {@link #anchorCheck()} asks for). */
    private final Name anchorName;

    /**
     * @param servers recursive resolvers to ask (empty: the system's)
     * @param queryTimeout the bound on one query to one server
     * @param lookupBudget the bound on one whole validated lookup
     * @param trustAnchors DS or DNSKEY records in zone-file format ({@link #rootTrustAnchors()} for the
     *        public DNS, a test anchor in tests)
     * @throws SettingException when {@code trustAnchors} holds no DS/DNSKEY record, anything else or
     *         does not parse
     */
    public DnssecResolver(List<InetSocketAddress> servers, Duration queryTimeout, Duration lookupBudget,
            String trustAnchors) {
        this.anchorName = checkTrustAnchors(trustAnchors);
        if (queryTimeout.isNegative() || queryTimeout.isZero() || lookupBudget.isNegative() || lookupBudget.isZero()) {
            throw new IllegalArgumentException("time-outs must be positive");
        }
        List<InetSocketAddress> list = DnsClient.serversOrSystem(servers);
        if (list.isEmpty()) {
            throw new SettingException("resolvers", "must name at least one DNS server (none configured or found)");
        }
        this.validator = new ValidatingResolver(headResolver(list, queryTimeout));
        try {
            validator.loadTrustAnchors(new ByteArrayInputStream(trustAnchors.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new SettingException(TRUST_ANCHORS_SETTING, "must be DS or DNSKEY records in zone-file format ("
                    + SafeText.of(e.getMessage()) + ")");
        }
        this.budgetNanos = lookupBudget.toNanos();
    }

    /** The root zone's trust anchors shipped in the jar (RFC 7958 publishes them; IANA root-anchors.xml). */
    public static String rootTrustAnchors() {
        try (InputStream in = DnssecResolver.class.getResourceAsStream(ROOT_ANCHORS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + ROOT_ANCHORS_RESOURCE + " missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The validated MX RRset of {@code domain} (RFC 7672 §2.2.1: DANE needs a secure MX RRset). */
    public DnssecAnswer mx(String domain) {
        return lookup(domain, Type.MX);
    }

    /**
     * The validated TLSA RRset of an MX host for SMTP, at {@code _25._tcp.<host>} (RFC 7672 §2.2.2,
     * RFC 6698 §3). CNAMEs are followed; {@link DnssecAnswer#owner()} then names the end of the chain.
     */
    public DnssecAnswer tlsa(String mxHost) {
        String host = mxHost.endsWith(".") ? mxHost : mxHost + ".";
        return lookup("_25._tcp." + host, Type.TLSA);
    }

    /**
     * The validated address records of an MX host: A, and AAAA when the name has no A record (RFC 7672
     * §2.2.2: TLSA records are looked up only for hosts whose address records are secure; either family
     * answers whether the host's name lies in a signed zone). CNAMEs are followed; {@link
     * DnssecAnswer#owner()} names the end of the chain.
     */
    public DnssecAnswer address(String host) {
        DnssecAnswer a = lookup(host, Type.A);
        if (a.status() == DnssecAnswer.Status.NODATA) {
            DnssecAnswer aaaa = lookup(host, Type.AAAA);
            return aaaa.status() == DnssecAnswer.Status.NODATA || aaaa.status() == DnssecAnswer.Status.NXDOMAIN ? a : aaaa;
        }
        return a;
    }

    /**
     * A validated lookup of the DNSKEY RRset at the first trust anchor's name (the root, in production):
     * SECURE when validation works end to end with the configured servers and anchors; BOGUS when the
     * servers strip DNSSEC records or the anchors match no key; TEMPORARY when nothing answered. What a
     * start-up self-check asks before it relies on validation.
     */
    public DnssecAnswer anchorCheck() {
        return lookup(anchorName.toString(), Type.DNSKEY);
    }

    /** A validated lookup of {@code name}/{@code type} within the lookup budget. Never throws. */
    DnssecAnswer lookup(String name, int type) {
        Name qname;
        try {
            qname = Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            return new DnssecAnswer(DnssecAnswer.Status.NXDOMAIN, List.of(), false, SafeText.of(name),
                    "not a valid DNS name: " + SafeText.quoted(name));
        }
        String what = Type.string(type) + " " + qname;
        long start = System.nanoTime();
        CompletableFuture<Message> pending =
                validator.sendAsync(Message.newQuery(Record.newRecord(qname, type, DClass.IN))).toCompletableFuture();
        Message response;
        try {
            response = pending.get(budgetNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            return temporary(qname, what + ": time-out, no validated answer within "
                    + TimeUnit.NANOSECONDS.toMillis(budgetNanos) + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return temporary(qname, what + ": " + SafeText.of(DnsClient.describe(cause), SafeText.REASON_MAX)
                    + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.cancel(true);
            return temporary(qname, what + ": interrupted");
        }
        return classify(qname, type, what, response);
    }

    /** Maps the validator's response to a {@link DnssecAnswer}. Package-private for unit tests. */
    static DnssecAnswer classify(Name qname, int type, String what, Message response) {
        int rcode = response.getRcode();
        // RFC 4035 §3.2.3/§4.9.3: AD set by our validator (not the upstream: the validator clears
        // and recomputes it) means every RRset of the answer and authority sections validated.
        boolean ad = response.getHeader().getFlag(Flags.AD);
        if (rcode == Rcode.SERVFAIL) {
            String reason = validationFailure(response);
            if (reason != null) {
                return new DnssecAnswer(DnssecAnswer.Status.BOGUS, List.of(), false, qname.toString(),
                        what + ": DNSSEC validation failed: " + reason);
            }
            return temporary(qname, what + ": SERVFAIL");
        }
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            return temporary(qname, what + ": " + Rcode.string(rcode));
        }
        Set<Name> seen = new HashSet<>();
        seen.add(qname);
        DnsClient.ChainEnd end = DnsClient.followCnames(response.getSection(Section.ANSWER), qname, type, seen);
        if (end.broken) {
            return temporary(qname, what + ": CNAME chain loops or exceeds " + DnsClient.MAX_CNAME_HOPS + " hops");
        }
        String owner = end.name.toString();
        String via = end.name.equals(qname) ? "" : " (via CNAME " + SafeText.of(owner) + ")";
        if (rcode == Rcode.NXDOMAIN) {
            return new DnssecAnswer(DnssecAnswer.Status.NXDOMAIN, List.of(), ad, owner,
                    what + ": NXDOMAIN" + via + (ad ? ", proven" : ", unsigned"), negativeTtl(response));
        }
        if (end.data.isEmpty()) {
            return new DnssecAnswer(DnssecAnswer.Status.NODATA, List.of(), ad, owner,
                    what + ": no record" + via + (ad ? ", proven" : ", unsigned"), negativeTtl(response));
        }
        DnssecAnswer.Status status = ad ? DnssecAnswer.Status.SECURE : DnssecAnswer.Status.INSECURE;
        return new DnssecAnswer(status, end.data, ad, owner,
                what + ": " + end.data.size() + " record(s)" + via + ", " + (ad ? "secure" : "insecure"),
                minTtl(response.getSection(Section.ANSWER)));
    }

    /** RFC 2181 §5.2: the TTL of an answer is the smallest of its records (the CNAMEs on the way included). */
    private static long minTtl(List<Record> records) {
        long min = Long.MAX_VALUE;
        for (Record r : records) {
            min = Math.min(min, r.getTTL());
        }
        return records.isEmpty() ? 0 : min;
    }

    /** RFC 2308 §5: the negative TTL is the smaller of the SOA record's TTL and its minimum field; 0 without SOA. */
    private static long negativeTtl(Message response) {
        for (Record r : response.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord) {
                return Math.min(r.getTTL(), ((SOARecord) r).getMinimum());
            }
        }
        return 0;
    }

    /** dnsjava's validator message {@code key} formatted as its {@code R.get} does, or null when absent. */
    private static String validatorMessage(String key, Object... args) {
        try {
            return MessageFormat.format(ResourceBundle.getBundle("messages").getString(key), args);
        } catch (MissingResourceException e) {
            return null;
        }
    }

    private static DnssecAnswer temporary(Name qname, String detail) {
        return new DnssecAnswer(DnssecAnswer.Status.TEMPORARY, List.of(), false, qname.toString(), detail);
    }

    /**
     * The validator's reason when a SERVFAIL is its verdict "bogus", or null for a SERVFAIL from
     * upstream. dnsjava's validator marks its own failures twice: an Extended DNS Error (RFC 8914 §4:
     * codes 1-12 are the DNSSEC ones) and a TXT record of class {@link
     * ValidatingResolver#VALIDATION_REASON_QCLASS} in the additional section. Both texts came, in
     * part, from the network (names, record data): sanitised.
     */
    static String validationFailure(Message response) {
        List<String> parts = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (Record r : response.getSection(Section.ADDITIONAL)) {
            if (r.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS && r instanceof TXTRecord) {
                reasons.add(String.join(" ", ((TXTRecord) r).getStrings()));
            }
        }
        if (!reasons.isEmpty() && reasons.stream().allMatch(x -> x.equals(UPSTREAM_FAILED_REASON))) {
            return null; // the upstream failed: nothing was validated
        }
        OPTRecord opt = response.getOPT();
        if (opt != null) {
            for (EDNSOption o : opt.getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)) {
                ExtendedErrorCodeOption ede = (ExtendedErrorCodeOption) o;
                int code = ede.getErrorCode();
                if (code >= ExtendedErrorCodeOption.UNSUPPORTED_DNSKEY_ALGORITHM
                        && code <= ExtendedErrorCodeOption.NSEC_MISSING) {
                    String text = ede.getText();
                    parts.add("EDE " + code + " " + ExtendedErrorCodeOption.text(code)
                            + (text == null || text.isEmpty() ? "" : ": " + SafeText.of(text, 300)));
                }
            }
        }
        for (String reason : reasons) {
            String safe = SafeText.of(reason, 300);
            if (parts.stream().noneMatch(p -> p.endsWith(": " + safe))) {
                parts.add(safe);
            }
        }
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** Throws {@link SettingException} unless {@code text} is one or more DS/DNSKEY records and nothing else. */
    public static void checkAnchors(String text) {
        checkTrustAnchors(text);
    }

    /**
     * Throws {@link SettingException} unless {@code text} is one or more DS/DNSKEY records and nothing else;
     * returns the owner name of the first.
     */
    static Name checkTrustAnchors(String text) {
        if (text == null) {
            throw new SettingException(TRUST_ANCHORS_SETTING, "must be DS or DNSKEY records in zone-file format");
        }
        int anchors = 0;
        Name first = null;
        try (Master master = new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Name.root)) {
            for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
                if (r.getType() != Type.DS && r.getType() != Type.DNSKEY) {
                    throw new SettingException(TRUST_ANCHORS_SETTING, "must hold only DS or DNSKEY records, found "
                            + Type.string(r.getType()) + " at " + SafeText.of(r.getName().toString()));
                }
                if (first == null) {
                    first = r.getName();
                }
                anchors++;
            }
        } catch (IOException e) {
            throw new SettingException(TRUST_ANCHORS_SETTING, "must be DS or DNSKEY records in zone-file format ("
                    + SafeText.of(e.getMessage()) + ")");
        }
        if (anchors == 0) {
            throw new SettingException(TRUST_ANCHORS_SETTING, "must hold at least one DS or DNSKEY record");
        }
        return first;
    }

    private static Resolver headResolver(List<InetSocketAddress> servers, Duration queryTimeout) {
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            SimpleResolver r = new SimpleResolver(s);
            // A truncated UDP answer (a big signed RRset) is asked again over TCP (RFC 4035 §4.1 needs
            // EDNS0 and TCP for DNSSEC-sized answers); dnsjava does this when truncation is not ignored.
            r.setIgnoreTruncation(false);
            r.setTimeout(queryTimeout);
            resolvers.add(r);
        }
        if (resolvers.size() == 1) {
            return resolvers.get(0);
        }
        ExtendedResolver e = new ExtendedResolver(resolvers);
        e.setLoadBalance(false);
        e.setRetries(1);
        e.setTimeout(queryTimeout);
        return e;
    }
}
