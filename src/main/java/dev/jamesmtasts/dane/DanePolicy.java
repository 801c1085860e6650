package dev.jamesmtasts.dane;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.TLSARecord;

import dev.jamesmtasts.mtasts.DnssecAnswer;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * The one RFC 7672 decision of this project: from DNSSEC-validated lookups ({@link DnssecLookups}), whether
 * DANE applies to a recipient domain ({@link #domain}) and what it asks of the session with each of its MX
 * hosts ({@link #host}). No James, no I/O of its own; the delivery applies the result, and so can a
 * command-line check.
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>Domain (RFC 7672 §2.2.1): a secure MX RRset lists the hosts DANE may apply to; a proven absence of
 *       MX records makes the domain itself the host (§2.2.2, non-MX destination); an insecure MX RRset, or
 *       a denial that is not proven, means no DANE for the domain; bogus or failed lookups defer the mail
 *       (§2.1.1: never deliver as if DANE did not apply when it cannot be known).</li>
 *   <li>Host not in the validated RRset: not used (James's own resolver answered something the validated
 *       DNS does not say; §2.2.1 is about exactly that substitution).</li>
 *   <li>Address records (§2.2.2): TLSA records are looked for only when the host's A/AAAA records are
 *       secure; insecure: no DANE for the host; bogus or failed: not used.</li>
 *   <li>TLSA base domain (§2.2.2): when the host name is a secure CNAME, the records at
 *       {@code _25._tcp.<expanded name>} are asked first, then those of the host name itself.</li>
 *   <li>TLSA RRset (§2.2, §3.1): secure with a usable record (DANE-TA/DANE-EE, selector 0/1, matching type
 *       0/1/2): authenticate by it; secure, none usable: STARTTLS required, no authentication; insecure or
 *       absent: no DANE; bogus or failed: not used.</li>
 *   <li>Local requirement ({@code required}): a host or domain without usable TLSA records is not used
 *       (RFC 8460 {@code dane-required}).</li>
 * </ol>
 * Thread-safe when the lookups are.
 */
public final class DanePolicy {
    private static final String TLSA_PREFIX = "_25._tcp.";

    private final DnssecLookups lookups;

    public DanePolicy(DnssecLookups lookups) {
        this.lookups = lookups;
    }

    /**
     * What DANE says of {@code domain} (RFC 7672 §2.2.1); {@code required}: local configuration requires
     * DANE for it.
     */
    public DaneDomain domain(String domain, boolean required) {
        String d = normalize(domain);
        DnssecAnswer mx = lookups.mx(d);
        switch (mx.status()) {
            case SECURE: {
                Set<String> hosts = new LinkedHashSet<>();
                for (Record r : mx.records()) {
                    if (r instanceof MXRecord) {
                        String target = normalize(((MXRecord) r).getTarget().toString());
                        if (!target.isEmpty()) { // RFC 7505 null MX "." accepts no mail: no host
                            hosts.add(target);
                        }
                    }
                }
                return new DaneDomain(d, DaneDomain.Status.SECURE, required, hosts,
                        "MX RRset secure: " + SafeText.list(hosts, SafeText.LIST_MAX));
            }
            case NXDOMAIN:
            case NODATA:
                if (mx.authenticated()) {
                    return new DaneDomain(d, DaneDomain.Status.SECURE, required, Set.of(d),
                            "no MX records (proven): the domain is its own host (RFC 7672 §2.2.2)");
                }
                return new DaneDomain(d, DaneDomain.Status.INSECURE, required, Set.of(),
                        "no MX records, denial not signed: DANE does not apply");
            case INSECURE:
                return new DaneDomain(d, DaneDomain.Status.INSECURE, required, Set.of(),
                        "MX RRset not signed: DANE does not apply (RFC 7672 §2.2.1)");
            case BOGUS:
                return new DaneDomain(d, DaneDomain.Status.BOGUS, required, Set.of(), mx.detail());
            case TEMPORARY:
            default:
                return new DaneDomain(d, DaneDomain.Status.TEMPORARY, required, Set.of(), mx.detail());
        }
    }

    /** What DANE asks of the session with {@code mxHost}, one of the hosts James is about to try for {@code domain}. */
    public DaneHost host(DaneDomain domain, String mxHost) {
        String host = normalize(mxHost);
        if (domain.status() != DaneDomain.Status.SECURE) {
            return domain.required()
                    ? DaneHost.failed(host, DaneHost.Failure.DANE_REQUIRED, null,
                            "DANE required, but the domain's MX RRset is not secure (" + domain.detail() + ")")
                    : DaneHost.notApplicable(host, "domain " + domain.status().name().toLowerCase(Locale.ROOT));
        }
        if (!domain.hosts().contains(host)) {
            return DaneHost.failed(host, DaneHost.Failure.DNS_MISMATCH, null,
                    "not in the domain's DNSSEC-validated MX RRset " + SafeText.list(domain.hosts(), SafeText.LIST_MAX));
        }
        DnssecAnswer address = lookups.address(host);
        switch (address.status()) {
            case SECURE:
                break;
            case BOGUS:
                return DaneHost.failed(host, DaneHost.Failure.DNSSEC_INVALID, null, address.detail());
            case TEMPORARY:
                return DaneHost.failed(host, DaneHost.Failure.LOOKUP_FAILED, null, address.detail());
            case NXDOMAIN:
            case NODATA:
                if (address.authenticated()) {
                    return DaneHost.failed(host, DaneHost.Failure.DNS_MISMATCH, null,
                            "the validated DNS says the host has no address (" + address.detail() + ")");
                }
                return noDane(domain, host, null, "address records not signed (RFC 7672 §2.2.2)");
            case INSECURE:
            default:
                return noDane(domain, host, null, "address records not signed (RFC 7672 §2.2.2)");
        }
        String expanded = normalize(address.owner());
        String base = host;
        DnssecAnswer tlsa;
        if (!expanded.equals(host)) {
            // §2.2.2: a secure CNAME chain makes its end the preferred TLSA base domain
            tlsa = lookups.tlsa(expanded);
            base = expanded;
            if ((tlsa.status() == DnssecAnswer.Status.NXDOMAIN || tlsa.status() == DnssecAnswer.Status.NODATA)
                    && tlsa.authenticated()) {
                tlsa = lookups.tlsa(host);
                base = host;
            }
        } else {
            tlsa = lookups.tlsa(host);
        }
        switch (tlsa.status()) {
            case SECURE:
                return secureTlsa(domain, host, base, tlsa);
            case BOGUS:
                return DaneHost.failed(host, DaneHost.Failure.DNSSEC_INVALID, base, tlsa.detail());
            case TEMPORARY:
                return DaneHost.failed(host, DaneHost.Failure.LOOKUP_FAILED, base, tlsa.detail());
            case NXDOMAIN:
            case NODATA:
                return noDane(domain, host, base, tlsa.authenticated()
                        ? "no TLSA records at " + TLSA_PREFIX + SafeText.of(base) + " (proven)"
                        : "TLSA denial not signed");
            case INSECURE:
            default:
                return noDane(domain, host, base, "TLSA records not signed (RFC 7672 §2.2)");
        }
    }

    private static DaneHost secureTlsa(DaneDomain domain, String host, String base, DnssecAnswer tlsa) {
        List<TLSARecord> records = new ArrayList<>(tlsa.records().size());
        int usable = 0;
        for (Record r : tlsa.records()) {
            if (r instanceof TLSARecord) {
                records.add((TLSARecord) r);
                if (TlsaVerifier.usable((TLSARecord) r)) {
                    usable++;
                }
            }
        }
        List<String> names = host.equals(base) ? List.of(host) : List.of(host, base);
        if (usable > 0) {
            return new DaneHost(host, DaneHost.Status.USABLE, null, records, base, names,
                    usable + " usable TLSA record(s) of " + records.size() + " at " + TLSA_PREFIX + SafeText.of(base));
        }
        if (domain.required()) {
            return DaneHost.failed(host, DaneHost.Failure.DANE_REQUIRED, base,
                    "DANE required, but none of the " + records.size() + " TLSA record(s) is usable (RFC 7672 §3.1)");
        }
        return new DaneHost(host, DaneHost.Status.UNUSABLE, null, records, base, names,
                records.size() + " TLSA record(s), none usable for SMTP (RFC 7672 §3.1): STARTTLS required, "
                        + "not authenticated by DANE");
    }

    /** No DANE for this host: as without DANE, unless local configuration requires it. */
    private static DaneHost noDane(DaneDomain domain, String host, String base, String why) {
        if (domain.required()) {
            return DaneHost.failed(host, DaneHost.Failure.DANE_REQUIRED, base, "DANE required, but " + why);
        }
        return DaneHost.notApplicable(host, why);
    }

    /** Lower case, without the trailing dot ({@code "."}, the root, becomes empty). */
    static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
