package dev.jamesmtasts.james;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import dev.jamesmtasts.cache.StoreStatus;

import reactor.core.publisher.Mono;

/**
 * The policy store in James's health terms: healthy while Cassandra answers, degraded (never unhealthy:
 * mail keeps flowing, see {@code cache.onStoreOutage}) while it does not or is still being connected.
 *
 * <p>James 3.8.1 does not let an extension add to the {@code Set<HealthCheck>} that WebAdmin
 * {@code /healthcheck} reads: a {@code Multibinder<HealthCheck>} in the extension module fails James's
 * start with Guice's {@code BindingAlreadySet} (extension modules are combined with the server's, and the
 * server's set is already bound). So this check is served by {@link MtaStsRoutes} at
 * {@code GET /mta-sts/health}, in the same JSON shape as {@code /healthcheck}.
 */
public class MtaStsHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("MTA-STS policy store");

    private final MtaStsBackend backend;

    @Inject
    public MtaStsHealthCheck(MtaStsBackend backend) {
        this.backend = backend;
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromSupplier(this::result);
    }

    Result result() {
        StoreStatus.Reading r = backend.storeStatus().reading();
        switch (r.state()) {
            case AVAILABLE:
                return Result.healthy(COMPONENT);
            case CONNECTING:
                return Result.degraded(COMPONENT, "connecting to Cassandra (since " + r.since() + ")");
            default:
                return Result.degraded(COMPONENT, "Cassandra unreachable since " + r.since() + ": " + r.reason());
        }
    }
}
