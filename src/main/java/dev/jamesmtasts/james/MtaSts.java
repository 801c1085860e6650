package dev.jamesmtasts.james;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;
import javax.inject.Singleton;

import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.reporting.ReportView;

/**
 * The {@link MtaStsMBean} implementation (standard MBean naming: class {@code MtaSts}), delegating to
 * {@link PolicyCacheAdmin}. Arguments are checked here so that JMX callers get a clear message;
 * results are copied into plain serializable JDK collections of strings ({@link StoredPolicyView#forJmx}).
 */
@Singleton
public class MtaSts implements MtaStsMBean {
    static final int MAX_PAGE = 1000;
    /** Escapes what is unsafe on a terminal as backslash-u escapes ({@link dev.jamesmtasts.mtasts.SafeJson}). */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = dev.jamesmtasts.mtasts.SafeJson.newMapper();

    private final MtaStsBackend backend;
    private final MtaStsMetrics metrics;
    private final TlsRptAdmin tlsRpt;
    private final DomainChecks checks;
    private final DaneService dane;

    @Inject
    public MtaSts(MtaStsBackend backend, MtaStsMetrics metrics, TlsRptAdmin tlsRpt, DomainChecks checks,
                  DaneService dane) {
        this.backend = backend;
        this.metrics = metrics;
        this.tlsRpt = tlsRpt;
        this.checks = checks;
        this.dane = dane;
    }

    @Override
    public Map<String, String> getDaneStatus() {
        DaneStatus s = dane.status();
        org.apache.james.core.healthcheck.Result r = DaneHealthCheck.result(s);
        // health first, as WebAdmin's /mta-sts/health and bin/mta-sts jmx status show it
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("health", r.getStatus().getValue());
        m.put("healthCause", r.getCause().orElse(""));
        m.putAll(s.toStrings());
        return m;
    }

    @Override
    public String checkDomain(String domain) {
        Map<String, Object> report;
        try {
            report = checks.check(domain);
        } catch (DomainChecks.Unavailable e) {
            throw new IllegalStateException(e.getMessage()); // a JDK type any JMX client can read
        }
        try {
            return JSON.writeValueAsString(report);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the check report cannot be written as JSON: " + e.getMessage());
        }
    }

    @Override
    public List<Map<String, String>> listPolicies(String afterDomain, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_PAGE + ", got " + limit);
        }
        String after = afterDomain == null || afterDomain.trim().isEmpty() ? null : domain(afterDomain);
        List<Map<String, String>> rows = new ArrayList<>();
        for (Map<String, Object> row : backend.admin().list(after, limit)) {
            rows.add(shown(StoredPolicyView.forJmx(row)));
        }
        return rows;
    }

    @Override
    public Map<String, String> showPolicy(String domain) {
        return shown(StoredPolicyView.forJmx(backend.admin().show(domain(domain))));
    }

    @Override
    public Map<String, String> refreshPolicy(String domain) {
        return shown(StoredPolicyView.forJmx(backend.admin().refresh(domain(domain))));
    }

    @Override
    public boolean evictPolicy(String domain) {
        return backend.admin().evict(domain(domain));
    }

    @Override
    public Map<String, String> runRefresherRound() {
        return shown(new LinkedHashMap<>(backend.admin().runRefreshRound()));
    }

    @Override
    public Map<String, Long> getCounters() {
        Map<String, Long> all = new HashMap<>(backend.admin().counters());
        all.putAll(metrics.snapshot());
        all.putAll(tlsRpt.counters());
        return new java.util.TreeMap<>(all);
    }

    @Override
    public boolean isStoreAvailable() {
        return backend.storeStatus().available();
    }

    @Override
    public String getStoreStatus() {
        return backend.storeStatus().reading().toString();
    }

    @Override
    public List<Map<String, String>> listTlsReports(String day) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (Map<String, Object> row : tlsRpt(() -> tlsRpt.list(day))) {
            rows.add(shown(ReportView.forJmx(row)));
        }
        return rows;
    }

    @Override
    public Map<String, String> showTlsReport(String domain, String day) {
        return shown(ReportView.forJmx(tlsRpt(() -> tlsRpt.show(domain, day))));
    }

    @Override
    public List<Map<String, String>> sendTlsReportsNow(String domainOrEmpty, String day, boolean force) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (Map<String, Object> row : tlsRpt(() -> tlsRpt.sendNow(domainOrEmpty, day, force))) {
            rows.add(shown(ReportView.forJmx(row)));
        }
        return rows;
    }

    /**
     * Runs a TLS-RPT operation; {@link TlsRptAdmin.Disabled} becomes a JDK exception with the same
     * message, which any JMX client can deserialise.
     */
    private static <T> T tlsRpt(java.util.function.Supplier<T> op) {
        try {
            return op.get();
        } catch (TlsRptAdmin.Disabled e) {
            throw new IllegalStateException(e.getMessage());
        }
    }

    /**
     * The row as a JMX client shows it (jconsole, {@code mta-sts jmx}): values with what a terminal or
     * viewer would act on escaped ({@link SafeText#display}, idempotent, so reasons escaped where they
     * were built are unchanged), the policy body line by line ({@link SafeText#lines}). The stored row
     * and WebAdmin's JSON keep the exact text.
     */
    private static Map<String, String> shown(Map<String, String> row) {
        Map<String, String> m = new LinkedHashMap<>();
        row.forEach((k, v) -> m.put(k, k.equals(StoredPolicyView.POLICY_TEXT) ? SafeText.lines(v)
                : SafeText.display(v, Integer.MAX_VALUE)));
        return m;
    }

    /** {@code d} normalised ({@link Domains#normalize}), or a clear error quoting it safely. */
    static String domain(String d) {
        try {
            return Domains.normalize(d);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a domain name: " + SafeText.quoted(d) + " ("
                    + SafeText.display(e.getMessage()) + ")");
        }
    }
}
