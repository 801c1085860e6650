package dev.jamesmtasts.james;

import java.io.FileNotFoundException;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Injector;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;

import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.tlsrpt.ResultSink;

/**
 * The Guice extension module, loaded by James from {@code conf/extensions.properties}:
 * {@code guice.extension.module=dev.jamesmtasts.james.MtaStsModule} (together with
 * {@code guice.extension.startable=dev.jamesmtasts.james.MtaStsStartable}).
 *
 * <p>It lives in James's extension child injector, which also builds the mailets named by class in
 * {@code mailetcontainer.xml}: {@link MtaStsRemoteDelivery} gets its {@link PolicyProvider},
 * {@link MtaStsMetrics} and {@link DeliveryAttemptListener}s from here. Binds:
 * {@link MtaStsConfiguration} (from {@code conf/mta-sts.properties}, read and checked here, once: a wrong
 * key fails James's start naming it), {@link MtaStsBackend} (from
 * {@link MtaStsBackends#create}, the wiring point of the real cache), {@link PolicyProvider},
 * {@link PolicyCacheAdmin}, {@link MtaStsMetrics}, the MBean, the store's {@link MtaStsHealthCheck}, the TLS-RPT
 * {@link ResultSink}, and the {@code Set<DeliveryAttemptListener>} holding {@link TlsRptListener}, which other
 * modules may add to.
 */
public class MtaStsModule extends AbstractModule {
    @Override
    protected void configure() {
        // TLS-RPT (RFC 8460): every attempt's results go to the ResultSink (NONE while tlsrpt.enabled=false)
        Multibinder.newSetBinder(binder(), DeliveryAttemptListener.class).addBinding().to(TlsRptListener.class);
        bind(MtaStsMetrics.class).in(Scopes.SINGLETON);
        bind(DaneService.class).in(Scopes.SINGLETON);
        bind(MtaSts.class).in(Scopes.SINGLETON);
        bind(TlsRptAdmin.class).in(Scopes.SINGLETON);
        bind(TlsRptMetrics.class).in(Scopes.SINGLETON);
        bind(MtaStsStartable.class).in(Scopes.SINGLETON);
        bind(DeliveryProfile.class).in(Scopes.SINGLETON);
        bind(DomainChecks.class).in(Scopes.SINGLETON);
        // not added to James's Set<HealthCheck>: closed to extensions in 3.8.1 (see MtaStsHealthCheck)
        bind(MtaStsHealthCheck.class).in(Scopes.SINGLETON);
    }

    @Provides
    @Singleton
    MtaStsConfiguration configuration(PropertiesProvider propertiesProvider) {
        try {
            return MtaStsConfiguration.from(propertiesProvider.getConfiguration("mta-sts"));
        } catch (FileNotFoundException e) {
            throw new IllegalStateException("conf/mta-sts.properties is missing: the MTA-STS extension needs it "
                    + "(copy james-conf/mta-sts.properties)", e);
        } catch (ConfigurationException e) {
            throw new IllegalStateException("conf/mta-sts.properties cannot be read: " + e.getMessage(), e);
        }
    }

    @Provides
    @Singleton
    MtaStsBackend backend(MtaStsConfiguration configuration, Injector injector) {
        return MtaStsBackends.create(configuration, injector);
    }

    /**
     * Where TLS-RPT session results are counted: {@link ResultSink#NONE} while {@code tlsrpt.enabled=false},
     * else the backend's result store ({@link MtaStsBackend#resultSink()}).
     */
    @Provides
    @Singleton
    ResultSink resultSink(MtaStsConfiguration configuration, MtaStsBackend backend) {
        return configuration.tlsRptSettings().enabled() ? backend.resultSink() : ResultSink.NONE;
    }

    @Provides
    @Singleton
    PolicyProvider policyProvider(MtaStsBackend backend) {
        return backend.provider();
    }

    @Provides
    @Singleton
    PolicyCacheAdmin policyCacheAdmin(MtaStsBackend backend) {
        return backend.admin();
    }
}
