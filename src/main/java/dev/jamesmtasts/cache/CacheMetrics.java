package dev.jamesmtasts.cache;

import java.util.EnumMap;
import java.util.Map;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.RatioGauge;
import com.codahale.metrics.Timer;

/** The cache's Dropwizard metrics, all named {@code mtasts.*}. */
final class CacheMetrics {
    private final Map<CacheResult.Outcome, Counter> gets = new EnumMap<>(CacheResult.Outcome.class);
    private final Map<RefreshReport.Effect, Counter> refreshes = new EnumMap<>(RefreshReport.Effect.class);
    final Counter nearHits;
    final Counter nearMisses;
    final Counter storeErrors;
    /** Gets of a domain unknown in memory looked up directly because the store could not be read (cache.onStoreOutage=live). */
    final Counter storeOutageLookups;
    /** Gets answered from a still-valid entry while its check was due (stale-while-revalidate). */
    final Counter staleAnswers;
    final Counter revalidations;
    final Counter revalidationFailures;
    final Counter revalidationsRejected;
    /** First lookups not started because {@code cache.maxConcurrentLookups} were running (busy ERROR). */
    final Counter lookupsRejected;
    /** Gets that stopped waiting for a lookup at the flight time-out (the lookup went on in the background). */
    final Counter lookupsTimedOut;
    final Timer fetchLatency;
    final Timer recordLookupLatency;

    CacheMetrics(MetricRegistry r) {
        for (CacheResult.Outcome o : CacheResult.Outcome.values()) {
            // labels as in mox: ok, backoff, notfound, error
            gets.put(o, r.counter("mtasts.cache.get." + o.name().toLowerCase(java.util.Locale.ROOT).replace("_", "")));
        }
        for (RefreshReport.Effect o : RefreshReport.Effect.values()) {
            refreshes.put(o, r.counter("mtasts.refresh." + o.name().toLowerCase(java.util.Locale.ROOT)));
        }
        nearHits = r.counter("mtasts.cache.near.hits");
        nearMisses = r.counter("mtasts.cache.near.misses");
        storeErrors = r.counter("mtasts.cache.store.errors");
        storeOutageLookups = r.counter("mtasts.cache.store.outageLookups");
        staleAnswers = r.counter("mtasts.cache.stale");
        revalidations = r.counter("mtasts.cache.revalidate.started");
        revalidationFailures = r.counter("mtasts.cache.revalidate.failed");
        revalidationsRejected = r.counter("mtasts.cache.revalidate.rejected");
        lookupsRejected = r.counter("mtasts.cache.lookup.rejected");
        lookupsTimedOut = r.counter("mtasts.cache.lookup.timedout");
        fetchLatency = r.timer("mtasts.fetch.latency");
        recordLookupLatency = r.timer("mtasts.record.latency");
        r.gauge("mtasts.cache.near.hitratio", () -> new RatioGauge() {
            @Override
            protected Ratio getRatio() {
                return Ratio.of(nearHits.getCount(), nearHits.getCount() + nearMisses.getCount());
            }
        });
    }

    CacheResult got(CacheResult r) {
        gets.get(r.outcome()).inc();
        return r;
    }

    RefreshReport refreshed(RefreshReport r) {
        refreshes.get(r.outcome()).inc();
        return r;
    }
}
