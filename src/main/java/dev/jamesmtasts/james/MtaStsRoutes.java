package dev.jamesmtasts.james;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.Result;
import org.apache.james.core.healthcheck.ResultStatus;
import org.apache.james.webadmin.Routes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.net.UrlEscapers;

import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.mtasts.SafeJson;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.reporting.ReportDay;
import dev.jamesmtasts.reporting.ReportView;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * WebAdmin routes over the policy cache, for administrators who prefer HTTP to JMX. Enabled by
 * naming this class in {@code conf/webadmin.properties}:
 * {@code extensions.routes=dev.jamesmtasts.james.MtaStsRoutes} (comma-separated with others).
 *
 * <ul>
 *   <li>{@code GET /mta-sts/policies?after=DOMAIN&limit=N}: a page of cached policies (store order;
 *       pass the last domain of a page as {@code after}); limit 1..1000, default 100.</li>
 *   <li>{@code GET /mta-sts/policies/DOMAIN}: one cached policy, 404 when none.</li>
 *   <li>{@code POST /mta-sts/policies/DOMAIN/refresh}: look the policy up now and store it.</li>
 *   <li>{@code DELETE /mta-sts/policies/DOMAIN}: evict it (204, or 404 when none was cached).</li>
 *   <li>{@code POST /mta-sts/refresh-round}: run a refresher round now.</li>
 *   <li>{@code GET /mta-sts/counters}: cache counters.</li>
 *   <li>{@code GET /mta-sts/health}: the policy store's {@link MtaStsHealthCheck}, in the JSON shape and
 *       with the status codes of James's {@code GET /healthcheck} (200 healthy or degraded, 503
 *       unhealthy), because James 3.8.1 does not let an extension add a check to {@code /healthcheck}:
 *       {@code {"status":"degraded","checks":[{"componentName":"MTA-STS policy store",
 *       "escapedComponentName":"MTA-STS%20policy%20store","status":"degraded","cause":"..."},
 *       {"componentName":"MTA-STS DANE self-check",...}],"dane":{"mode":"follow","active":true,...}}}: the
 *       overall status is the worst of the two checks ({@link DaneHealthCheck}: never unhealthy), and
 *       {@code dane} is {@link DaneStatus#toMap()}.</li>
 *   <li>{@code GET /mta-sts/tlsrpt/reports?day=D}: the TLS-RPT reports (RFC 8460) of day D
 *       ({@code YYYY-MM-DD}, {@code today} or {@code yesterday}, UTC; default yesterday), one
 *       {@link ReportView} row per policy domain: {@code domain, day, successful, failed, state, ...}.</li>
 *   <li>{@code GET /mta-sts/tlsrpt/reports/DOMAIN?day=D}: one row with {@code report}, the RFC 8460 JSON
 *       object as it would be sent; 404 when nothing was recorded for DOMAIN that day.</li>
 *   <li>{@code POST /mta-sts/tlsrpt/send-now?day=D[&domain=DOMAIN][&force=true]}: flushes this node's
 *       results, then sends now; one row per report: {@code domain, day, outcome, rua, detail, report_id}.</li>
 * </ul>
 * <ul>
 *   <li>{@code GET /mta-sts/domains/DOMAIN/check}: how mail to DOMAIN would go out now, checked live
 *       without sending any ({@link DomainChecks}, {@link DomainCheck}): the JSON of
 *       {@code mta-sts check --json}; 503 when no delivery mailet runs on this node or
 *       {@value DomainChecks#MAX_RUNNING} checks are running; 400 for a bad domain.</li>
 * </ul>
 * The TLS-RPT routes answer 404 with a message while {@code tlsrpt.enabled=false}; a bad {@code day}
 * answers 400 naming the parameter and its accepted forms.
 * While Cassandra cannot be reached the policy operations answer 503 with the store's error.
 * A policy row is a JSON object in the shape of {@link StoredPolicyView}, the same as
 * {@code mta-sts cache show --json} prints ({@code mx} a list, {@code max_age} a number).
 */
public class MtaStsRoutes implements Routes {
    static final String BASE = "/mta-sts";
    static final String TLSRPT = BASE + "/tlsrpt";
    /** Values exact, unsafe characters (C1, DEL, bidi, line separators too) escaped as \\uXXXX ({@link SafeJson}). */
    private static final ObjectMapper JSON = SafeJson.newMapper();

    private final PolicyCacheAdmin admin;
    private final MtaStsHealthCheck health;
    private final DaneService dane;
    private final TlsRptAdmin tlsRpt;
    private final DomainChecks checks;

    @Inject
    public MtaStsRoutes(PolicyCacheAdmin admin, MtaStsHealthCheck health, DaneService dane, TlsRptAdmin tlsRpt,
                        DomainChecks checks) {
        this.admin = admin;
        this.health = health;
        this.dane = dane;
        this.tlsRpt = tlsRpt;
        this.checks = checks;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/policies", (req, res) -> json(res, 200, admin.list(req.queryParams("after"), limit(req))));
        service.get(BASE + "/policies/:domain", (req, res) -> {
            Map<String, Object> row = admin.show(domain(req));
            return row.isEmpty() ? error(res, 404, "no cached MTA-STS policy for " + domain(req)) : json(res, 200, row);
        });
        service.post(BASE + "/policies/:domain/refresh", (req, res) -> json(res, 200, admin.refresh(domain(req))));
        service.delete(BASE + "/policies/:domain", (req, res) -> {
            if (admin.evict(domain(req))) {
                res.status(204);
                return "";
            }
            return error(res, 404, "no cached MTA-STS policy for " + domain(req));
        });
        service.post(BASE + "/refresh-round", (req, res) -> json(res, 200, admin.runRefreshRound()));
        service.get(BASE + "/counters", (req, res) -> json(res, 200, admin.counters()));
        service.get(BASE + "/health", (req, res) -> {
            DaneStatus d = dane.status();
            Result store = health.result();
            Result daneResult = DaneHealthCheck.result(d);
            Map<String, Object> body = healthBody(List.of(store, daneResult));
            body.put("dane", d.toMap());
            return json(res, store.isUnHealthy() || daneResult.isUnHealthy() ? 503 : 200, body);
        });
        service.get(TLSRPT + "/reports", (req, res) -> json(res, 200, tlsRpt.list(req.queryParams(ReportDay.PARAMETER))));
        service.get(TLSRPT + "/reports/:domain", (req, res) -> {
            Map<String, Object> row = tlsRpt.show(domain(req), req.queryParams(ReportDay.PARAMETER));
            return row.isEmpty() ? error(res, 404, "no TLS-RPT results or report for " + domain(req) + " on "
                    + tlsRpt.day(req.queryParams(ReportDay.PARAMETER))) : json(res, 200, row);
        });
        service.post(TLSRPT + "/send-now", (req, res) -> json(res, 200, tlsRpt.sendNow(req.queryParams("domain"),
                req.queryParams(ReportDay.PARAMETER), force(req))));
        service.get(BASE + "/domains/:domain/check", (req, res) -> json(res, 200, checks.check(domain(req))));
        service.exception(DomainChecks.Unavailable.class, (e, req, res) -> {
            res.status(503);
            res.type("application/json");
            res.body(errorBody(503, e.getMessage()));
        });
        service.exception(TlsRptAdmin.Disabled.class, (e, req, res) -> {
            res.status(404);
            res.type("application/json");
            res.body(errorBody(404, e.getMessage()));
        });
        // Cassandra unreachable: the admin operations need it (GET /mta-sts/health says since when)
        service.exception(StoreException.class, (e, req, res) -> {
            res.status(503);
            res.type("application/json");
            res.body(errorBody(503, e.getMessage()));
        });
        service.exception(IllegalArgumentException.class, (e, req, res) -> {
            res.status(400);
            res.type("application/json");
            res.body(errorBody(400, e.getMessage()));
        });
    }

    /** The body of James's {@code /healthcheck} for these checks: the worst status first, then each check. */
    static Map<String, Object> healthBody(List<Result> results) {
        List<Map<String, Object>> checks = new java.util.ArrayList<>();
        ResultStatus worst = ResultStatus.HEALTHY;
        for (Result r : results) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("componentName", r.getComponentName().getName());
            check.put("escapedComponentName",
                    UrlEscapers.urlPathSegmentEscaper().escape(r.getComponentName().getName()));
            check.put("status", r.getStatus().getValue());
            check.put("cause", r.getCause().orElse(null));
            checks.add(check);
            worst = ResultStatus.merge(worst, r.getStatus());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", worst.getValue());
        body.put("checks", checks);
        return body;
    }

    private static String domain(Request req) {
        return req.params("domain");
    }

    private static boolean force(Request req) {
        String v = req.queryParams("force");
        if (v == null || v.isEmpty() || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw new IllegalArgumentException("force must be true or false, got " + SafeText.quoted(v));
    }

    private static int limit(Request req) {
        String v = req.queryParams("limit");
        if (v == null || v.isEmpty()) {
            return 100;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a number from 1 to 1000, got '" + v + "'");
        }
        if (n < 1 || n > 1000) {
            throw new IllegalArgumentException("limit must be a number from 1 to 1000, got " + n);
        }
        return n;
    }

    private static String json(Response res, int status, Object body) throws JsonProcessingException {
        res.status(status);
        res.type("application/json");
        return JSON.writeValueAsString(body instanceof List || body instanceof Map ? body : String.valueOf(body));
    }

    private static String error(Response res, int status, String message) {
        res.status(status);
        res.type("application/json");
        return errorBody(status, message);
    }

    private static String errorBody(int status, String message) {
        try {
            return JSON.writeValueAsString(Map.of("statusCode", status, "message", String.valueOf(message)));
        } catch (JsonProcessingException e) {
            return "{\"statusCode\":" + status + "}";
        }
    }
}
