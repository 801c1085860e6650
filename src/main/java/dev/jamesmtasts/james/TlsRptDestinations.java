package dev.jamesmtasts.james;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.TlsRptLookupResult;
import dev.jamesmtasts.mtasts.TlsRptRecord;
import dev.jamesmtasts.reporting.ReportDestinations;

/**
 * Where a policy domain's reports go, from its {@code _smtp._tls} TXT record (RFC 8460 §3) looked up by
 * the policy cache's own resolver ({@link MtaStsResolver#lookupTlsRpt}: same DNS servers, same bounds).
 * FOUND gives the record's usable rua URIs; NONE and INVALID (no record, several, or one that breaks the
 * RFC) mean the domain asks for no report; TEMPORARY is retried by the scheduler.
 */
final class TlsRptDestinations implements ReportDestinations {
    private final MtaStsResolver resolver;

    TlsRptDestinations(MtaStsResolver resolver) {
        this.resolver = Objects.requireNonNull(resolver);
    }

    @Override
    public Lookup lookup(String policyDomain) {
        TlsRptLookupResult r = resolver.lookupTlsRpt(policyDomain);
        switch (r.kind()) {
            case FOUND:
                List<URI> rua = new ArrayList<>();
                for (TlsRptRecord.Rua u : r.record().rua()) {
                    try {
                        rua.add(new URI(u.uri()));
                    } catch (URISyntaxException e) {
                        // the record parser accepted it as a URI; java.net.URI did not: skip this one
                    }
                }
                return rua.isEmpty() ? Lookup.none("no rua URI usable") : Lookup.found(rua);
            case TEMPORARY:
                return Lookup.temporary(SafeText.display(r.reason()));
            default: // NONE, INVALID: RFC 8460 §3, the domain does not implement TLS-RPT
                return Lookup.none(SafeText.display(r.reason()));
        }
    }
}
