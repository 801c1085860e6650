package dev.jamesmtasts.james;

import com.google.inject.Injector;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyProvider;

/**
 * THE wiring point of the real policy cache into James.
 *
 * <p>LEAD: replace the body of {@link #create} with the Cassandra-backed PolicyCache: obtain the
 * CqlSession (James's own when {@code injector.getExistingBinding(Key.get(CqlSession.class))} is
 * non-null and {@code cassandra.useServerSession} is auto/true, else open one from
 * {@code configuration}), build {@code MtaStsResolver} from the {@code dns.*}/{@code fetch.*} keys
 * and {@code PolicyCache} from the {@code cache.*}/{@code refresher.*} keys, and return a backend
 * whose {@code start()} creates the schema and starts the refresher and whose {@code stop()} undoes
 * it. Until then the extension refuses to start (no silent "no policy" behaviour).
 */
public final class MtaStsBackends {
    private MtaStsBackends() {
    }

    public static MtaStsBackend create(MtaStsConfiguration configuration, Injector injector) {
        return new Unwired();
    }

    /** Placeholder: refuses to start, and answers ERROR (mail deferred) if asked anyway. */
    static final class Unwired implements MtaStsBackend {
        private static final String WHY = "the MTA-STS policy cache is not wired into this build "
                + "(dev.jamesmtasts.james.MtaStsBackends.create)";
        private final PolicyProvider provider = domain -> CacheResult.error(WHY);

        @Override
        public PolicyProvider provider() {
            return provider;
        }

        @Override
        public PolicyCacheAdmin admin() {
            throw new IllegalStateException(WHY);
        }

        @Override
        public void start() {
            throw new IllegalStateException(WHY);
        }

        @Override
        public void stop() {
            // nothing was started
        }
    }
}
