package dev.jamesmtasts.james;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * A health check of a part the extension adds, computed from state it already holds (no I/O), served by
 * {@link MtaStsRoutes} at {@code GET /mta-sts/health} (James 3.8.1 keeps {@code /healthcheck} closed to
 * extensions, see {@link MtaStsHealthCheck}).
 */
abstract class ExtensionHealthCheck implements HealthCheck {
    private final ComponentName component;

    ExtensionHealthCheck(ComponentName component) {
        this.component = component;
    }

    @Override
    public ComponentName componentName() {
        return component;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromSupplier(this::result);
    }

    /** The result now. */
    abstract Result result();
}
