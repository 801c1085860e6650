package dev.jamesmtasts.james;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;

/**
 * The extension module exactly as shipped ({@link MtaStsModule}: the real Cassandra-backed policy
 * cache fed by DNS and HTTPS), plus the {@link RecordingListener} so tests can read the per-attempt
 * reports.
 */
public class RealBackendTestModule extends AbstractModule {
    @Override
    protected void configure() {
        install(new MtaStsModule());
        Multibinder.newSetBinder(binder(), DeliveryAttemptListener.class).addBinding().to(RecordingListener.class);
    }
}
