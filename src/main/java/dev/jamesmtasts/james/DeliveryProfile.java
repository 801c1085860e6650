package dev.jamesmtasts.james;

import java.security.KeyStore;

import javax.inject.Singleton;

/**
 * How this node's {@link MtaStsRemoteDelivery} delivers, as far as a {@link DomainCheck} must know it to
 * give the verdict the next attempt would reach: its {@link PolicyDecider} (mode, overrides, lookup
 * errors), its {@link DaneDecider} ({@code dane}, {@code daneOverrides}) and this node's {@link DaneService},
 * the MX hosts it would try ({@link JamesMxTargets}), the CAs it trusts for MX certificates
 * ({@code mtaStsTrustStore}) and its HELO name. Registered by the mailet's init; one per James node
 * (a second delivery mailet replaces the first's: the check describes the last one started).
 */
@Singleton
public class DeliveryProfile {
    /** One mailet's settings. */
    static final class Registered {
        final PolicyDecider decider;
        final MxTargets mx;
        final KeyStore trustStore;
        final String heloName;
        final DaneDecider dane;
        final DaneService daneService;

        Registered(PolicyDecider decider, MxTargets mx, KeyStore trustStore, String heloName, DaneDecider dane,
                   DaneService daneService) {
            this.decider = decider;
            this.mx = mx;
            this.trustStore = trustStore;
            this.heloName = heloName;
            this.dane = dane;
            this.daneService = daneService;
        }
    }

    private volatile Registered current;

    void register(PolicyDecider decider, MxTargets mx, KeyStore trustStore, String heloName, DaneDecider dane,
                  DaneService daneService) {
        current = new Registered(decider, mx, trustStore, heloName, dane, daneService);
    }

    /** The running mailet's settings, or null when no MtaStsRemoteDelivery has started on this node. */
    Registered current() {
        return current;
    }
}
