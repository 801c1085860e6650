package dev.jamesmtasts.james;

import java.util.Map;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.james.MtaStsMailetSettings.Dane;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * Which DANE rules one delivery attempt is under: the mailet's {@code dane} switch and
 * {@code daneOverrides}, a gateway delivery (a smarthost is not an MX: RFC 7672 §2.2 is about MX hosts),
 * and whether this node's DNSSEC validation works ({@link DaneService}); then the RFC 7672 decision
 * itself ({@link dev.jamesmtasts.dane.DanePolicy#domain}). Thread-safe (immutable but for the service).
 */
final class DaneDecider {
    private static final String GATEWAY = "gateway delivery, DANE does not apply";
    private static final String SWITCH_OFF = "dane=off";

    private final Dane mode;
    private final Map<String, Dane> overrides;
    /** "override d=off" by normalized domain, built once. */
    private final Map<String, String> offReasons = new java.util.HashMap<>();
    private final boolean gateway;
    private final DaneService service;
    /** The reason of the last state seen while validation is not available: built once per state. */
    private volatile String[] unavailable = {"", ""};

    DaneDecider(Dane mode, Map<String, Dane> overrides, boolean gateway, DaneService service) {
        this.mode = mode;
        this.overrides = Map.copyOf(overrides);
        this.gateway = gateway;
        this.service = service;
        overrides.forEach((d, o) -> offReasons.put(d, "override " + d + "=off"));
    }

    static DaneDecider of(MtaStsMailetSettings settings, boolean gateway, DaneService service) {
        return new DaneDecider(settings.dane, settings.daneOverrides, gateway, service);
    }

    private String offReason(String domain) {
        String why;
        try {
            why = offReasons.get(dev.jamesmtasts.mtasts.Domains.normalize(domain));
        } catch (IllegalArgumentException e) {
            why = null;
        }
        return why != null ? why : "override " + SafeText.of(domain) + "=off";
    }

    /** "DNSSEC validation not available (STATE)", rebuilt only when the service's state text changes. */
    private String unavailable() {
        String state = service.state();
        String[] last = unavailable;
        if (last[0] != state) { // the same String object while the state does not change
            last = new String[] {state, "DNSSEC validation not available (" + state + ")"};
            unavailable = last;
        }
        return last[1];
    }

    /** Whether any attempt of this mailet can use DANE (then the service is activated at init). */
    boolean used() {
        return !gateway && (mode == Dane.FOLLOW || overrides.containsValue(Dane.FOLLOW)
                || overrides.containsValue(Dane.REQUIRE));
    }

    /** The DANE rules of an attempt to deliver to {@code domain}. Never throws. */
    DaneDomain decide(String domain) {
        if (gateway) {
            return DaneDomain.off(domain, GATEWAY);
        }
        Dane override = overrides.isEmpty() ? null : MtaStsMailetSettings.overrideFor(overrides, domain);
        Dane effective = override != null ? override : mode;
        if (effective == Dane.OFF) {
            return DaneDomain.off(domain, override != null ? offReason(domain) : SWITCH_OFF);
        }
        boolean required = effective == Dane.REQUIRE;
        if (!service.active()) {
            String why = unavailable();
            return required ? DaneDomain.requiredButOff(domain, "DANE required, " + why) : DaneDomain.off(domain, why);
        }
        try {
            return service.policy().domain(domain, required);
        } catch (RuntimeException e) {
            // a bug guard: never deliver as if DANE did not apply because the decision failed
            return DaneDomain.undecided(domain, "DANE decision failed: " + SafeText.of(e.toString()));
        }
    }
}
