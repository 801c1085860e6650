package dev.jamesmtasts.james;

import java.lang.management.ManagementFactory;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.james.utils.UserDefinedStartable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started by James after the server is up ({@code guice.extension.startable=} in
 * {@code conf/extensions.properties}): starts the policy cache backend (store, schema, refresher:
 * see {@link MtaStsBackends}; a Cassandra that does not answer yet is connected in the background and
 * does not fail the start, only a configuration error does), registers the {@link MtaStsMBean} under {@value MtaStsMBean#OBJECT_NAME}
 * (the cache's own metrics, {@code mtasts.*}, go straight to James's Dropwizard registry; the TLS-RPT
 * gauges, {@code mtasts.tlsrpt.*}, are registered by {@link TlsRptMetrics}, taken here so it is built);
 * {@link #stop()} (run by
 * James at shutdown through {@code @PreDestroy}) undoes all of it, so a restart in the same JVM works.
 */
public class MtaStsStartable implements UserDefinedStartable {
    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsStartable.class);

    private final MtaStsBackend backend;
    private final MtaSts mbean;
    private ObjectName registered;
    private boolean started;

    /**
     * Takes the parsed {@link MtaStsConfiguration} so that a wrong {@code mta-sts.properties} fails
     * James's start whatever backend is bound.
     */
    @Inject
    public MtaStsStartable(MtaStsConfiguration configuration, MtaStsBackend backend, MtaSts mbean,
                           TlsRptMetrics tlsRptMetrics) {
        this.backend = backend;
        this.mbean = mbean;
    }

    @Override
    public synchronized void start() {
        try {
            backend.start();
        } catch (Exception e) {
            throw new IllegalStateException("MTA-STS extension could not start its policy cache: " + e.getMessage(), e);
        }
        started = true;
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(MtaStsMBean.OBJECT_NAME);
            if (server.isRegistered(name)) {
                // A previous instance in this JVM did not stop cleanly: replace it.
                server.unregisterMBean(name);
            }
            server.registerMBean(mbean, name);
            registered = name;
        } catch (JMException e) {
            throw new IllegalStateException("cannot register MBean " + MtaStsMBean.OBJECT_NAME + ": " + e.getMessage(), e);
        }
        LOGGER.info("MTA-STS extension started; MBean {}", MtaStsMBean.OBJECT_NAME);
    }

    @PreDestroy
    public synchronized void stop() {
        if (registered != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(registered);
            } catch (InstanceNotFoundException e) {
                LOGGER.debug("MBean already gone", e);
            } catch (JMException e) {
                LOGGER.warn("cannot unregister {}", registered, e);
            }
            registered = null;
        }
        if (started) {
            backend.stop();
            started = false;
        }
        LOGGER.info("MTA-STS extension stopped");
    }
}
