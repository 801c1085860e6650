package dev.jamesmtasts.james;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.Result;

/**
 * DANE (RFC 7672) in James's health terms, from the DNSSEC self-check ({@link DaneService}):
 * <ul>
 *   <li><b>healthy</b>: DANE not used on this node ({@code dane=off}, no override turning it on), or the
 *       last self-check that got an answer passed;</li>
 *   <li><b>degraded</b> when DANE is used but validation <em>never worked</em> (the resolvers strip DNSSEC
 *       records, or the trust anchors are wrong, or no check got an answer yet): DANE is then off and mail
 *       goes as without it, which is a deployment problem the administrator has to fix; the cause names the
 *       fix ({@code dane.resolvers}, {@code dane.trustAnchors}, or {@code dane=off});</li>
 *   <li><b>degraded</b> when the self-check fails <em>after</em> it passed: DANE stays on (no downgrade
 *       switch, RFC 7672 §1.3) and mail to DNSSEC-signed domains is deferred until validation works again;</li>
 *   <li>never <b>unhealthy</b>: DANE is a part the extension adds; its trouble must not make a load balancer
 *       or orchestrator take James down, mail to unsigned domains flows either way.</li>
 * </ul>
 * A function of {@link DaneService#status()}, not a Guice-bound check: served beside
 * {@link MtaStsHealthCheck} by {@link MtaStsRoutes} at {@code GET /mta-sts/health} (James
 * 3.8.1 keeps {@code /healthcheck} closed to extensions).
 */
final class DaneHealthCheck {
    static final ComponentName COMPONENT = new ComponentName("MTA-STS DANE self-check");
    static final String FIX = "Fix: point dane.resolvers in mta-sts.properties at a recursive resolver that passes "
            + "DNSSEC records, check dane.trustAnchors, or set the delivery mailet's dane parameter to off";

    private DaneHealthCheck() {
    }

    /** The health of DANE as {@code s} describes it (computed from held state, no I/O). */
    static Result result(DaneStatus s) {
        if (!s.used() || s.lastCheck() == DaneStatus.Check.OK) {
            return Result.healthy(COMPONENT);
        }
        if (!s.everWorked()) {
            String why = s.lastCheck() == DaneStatus.Check.NO_ANSWER
                    ? "the DNSSEC self-check got no answer yet from " + s.resolvers() + " (" + s.lastReason() + ")"
                    : "DNSSEC validation through " + s.resolvers() + " never worked (" + s.lastReason() + ")";
            return Result.degraded(COMPONENT, "DANE (RFC 7672) is configured but OFF: " + why
                    + "; mail goes as without DANE (domains with a dane require override are deferred). " + FIX);
        }
        if (s.lastCheck() == DaneStatus.Check.FAILED) {
            return Result.degraded(COMPONENT, "DANE (RFC 7672) is active but its DNSSEC self-check fails since it "
                    + "passed (" + s.lastReason() + "): mail to DNSSEC-signed domains is deferred until validation "
                    + "through " + s.resolvers() + " works again");
        }
        // worked before, the last check got no answer: DANE stays active, nothing deferred because of it yet
        return Result.healthy(COMPONENT);
    }
}
