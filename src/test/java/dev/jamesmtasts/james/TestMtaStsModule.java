package dev.jamesmtasts.james;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.util.Modules;

/**
 * The extension module as tests load it through {@code extensions.properties}: the real
 * {@link MtaStsModule} with one Guice override, the policy cache backend bound to the test double
 * {@link InMemoryPolicies#shared()}.
 */
public class TestMtaStsModule extends AbstractModule {
    @Override
    protected void configure() {
        install(Modules.override(new MtaStsModule())
                .with(binder -> binder.bind(MtaStsBackend.class).toInstance(InMemoryPolicies.shared())));
        Multibinder.newSetBinder(binder(), DeliveryAttemptListener.class).addBinding().to(RecordingListener.class);
    }
}
