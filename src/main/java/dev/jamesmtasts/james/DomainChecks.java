package dev.jamesmtasts.james;

import java.util.Map;
import java.util.concurrent.Semaphore;

import javax.inject.Inject;
import javax.inject.Singleton;

import dev.jamesmtasts.mtasts.StarttlsProbe;

/**
 * The per-domain check of this James node, behind the MBean ({@code checkDomain}, {@code mta-sts check
 * --jmx}) and WebAdmin ({@code GET /mta-sts/domains/DOMAIN/check}): a {@link DomainCheck} over the
 * backend's live source and stored rows ({@link MtaStsBackend#checkSources()}) and the running delivery
 * mailet's settings ({@link DeliveryProfile}). At most {@value #MAX_RUNNING} checks run at once on a node
 * (each opens connections to the domain's MX hosts); one more is refused as {@link Unavailable}.
 */
@Singleton
public class DomainChecks {
    /** Checks running at once on one node. */
    static final int MAX_RUNNING = 4;

    /** A check cannot run now (no delivery mailet, backend not started, too many running): WebAdmin 503. */
    static final class Unavailable extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    private final MtaStsBackend backend;
    private final DeliveryProfile profile;
    private final Semaphore running = new Semaphore(MAX_RUNNING);

    @Inject
    public DomainChecks(MtaStsBackend backend, DeliveryProfile profile) {
        this.backend = backend;
        this.profile = profile;
    }

    /**
     * Checks {@code domain} now (bounded by {@link DomainCheck#DEFAULT_DEADLINE}).
     *
     * @throws IllegalArgumentException when {@code domain} is not a domain name
     * @throws Unavailable              when the check cannot run on this node now
     */
    public Map<String, Object> check(String domain) {
        String d = MtaSts.domain(domain);
        DeliveryProfile.Registered mailet = profile.current();
        if (mailet == null) {
            throw new Unavailable("no MtaStsRemoteDelivery mailet has started on this James node: nothing to check "
                    + "delivery against");
        }
        DomainCheck.Sources sources = backend.checkSources().orElseThrow(() -> new Unavailable(
                "the MTA-STS policy cache of this node is not started"));
        if (!running.tryAcquire()) {
            throw new Unavailable(MAX_RUNNING + " domain checks are running on this node already; try again shortly");
        }
        try (StarttlsProbe probe = new StarttlsProbe(StarttlsProbe.trustManager(mailet.trustStore), mailet.heloName,
                DomainCheck.DEFAULT_STEP_TIMEOUT.toMillis())) {
            DomainCheck check = DomainCheck.builder().sources(sources).mx(mailet.mx).probe(probe)
                    .decider(mailet.decider, "the MtaStsRemoteDelivery mailet of this James node")
                    .dane(mailet.dane, mailet.daneService)
                    .build();
            return check.run(d); // the node's DANE service is the mailet's: nothing to close
        } finally {
            running.release();
        }
    }
}
