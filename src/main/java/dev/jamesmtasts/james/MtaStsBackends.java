package dev.jamesmtasts.james;

import com.google.inject.Injector;

/**
 * The wiring point of the policy cache into James: {@link #create} returns the Cassandra-backed
 * {@link CassandraBackend}. Tests replace the whole {@link MtaStsBackend} binding through a Guice
 * override instead.
 */
public final class MtaStsBackends {
    private MtaStsBackends() {
    }

    public static MtaStsBackend create(MtaStsConfiguration configuration, Injector injector) {
        return new CassandraBackend(configuration, injector);
    }
}
