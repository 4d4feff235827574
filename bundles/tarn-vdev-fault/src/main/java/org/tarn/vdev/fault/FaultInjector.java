package org.tarn.vdev.fault;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.tarn.vdev.fault.FaultRule.Effect;
import org.tarn.vdev.fault.FaultRule.Op;

/**
 * The run-time control of the faults on one device path, obtained from
 * {@link FaultVdevDriver#injector(String)}. Thread-safe.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Lifetime.</b> An injector belongs to a path, not to an open device: it
 * exists before the device is first opened and outlives every close, so a test
 * can arm faults before the engine opens the device, and a device that is
 * reopened (by import, say) meets the same faults.
 *
 * <p><b>Choosing faults.</b> Each I/O consults the rules in the order they were
 * {@linkplain #add added}, under one lock, so that counting down
 * {@linkplain FaultRule#times() times} and rolling the dice are atomic: a rule
 * limited to N hits hits exactly N I/Os however many threads race for them, and
 * one thread's I/O sequence meets the same faults on every run with the same
 * {@linkplain #seed seed}. A rule that selects the I/O rolls the injector's
 * {@link Random} only when its probability is below 1. {@code LATENCY} and
 * {@code HANG} rules that hit add a delay and let later rules be consulted; the
 * first {@code ERROR}, {@code NO_SPACE} or {@code CORRUPT} rule that hits decides
 * the outcome and ends the consultation. A rule is removed once spent. Rules
 * changed at run time affect the next I/O that starts.
 *
 * <p><b>Delays.</b> Delays happen after the lock is released, so a slow or hung
 * I/O holds up nothing but its own thread. Like real disk I/O they ignore
 * interrupts; a thread interrupted while delayed gets its interrupt flag back
 * before it goes on to the real I/O. A hang waits for the hang
 * <em>generation</em> it was chosen in to end: {@link #releaseHangs()} and
 * {@link #clear()} start a new generation, so a release that comes between
 * choosing a hang and starting to wait is not lost. Closing the device does not
 * release a hang: a hung disk stays hung.
 */
public final class FaultInjector {

    /** The seed of a new injector's random numbers, so runs are reproducible unless re-seeded. */
    public static final long DEFAULT_SEED = 0;

    private final String path;

    /** Guards the rules, the random numbers and the hang state; hung threads wait on it. */
    private final Object lock = new Object();
    private final List<ArmedRule> rules = new ArrayList<>();
    private Random random = new Random(DEFAULT_SEED);
    private long hangGeneration;
    private int hungCount;

    private final AtomicLongArray ioCounts = new AtomicLongArray(Op.values().length);
    private final AtomicLongArray injectedCounts = new AtomicLongArray(Effect.values().length);

    FaultInjector(String path) {
        this.path = path;
    }

    /** The {@code fault:} path of the device this injector controls. */
    public String path() {
        return path;
    }

    /** Adds a rule after the existing ones; it applies from the next I/O on. */
    public FaultInjector add(FaultRule rule) {
        ArmedRule armed = new ArmedRule(rule);
        synchronized (lock) {
            rules.add(armed);
        }
        return this;
    }

    /** Removes every rule and releases every hung I/O. Counters are kept. */
    public void clear() {
        synchronized (lock) {
            rules.clear();
            releaseHangs();
        }
    }

    /** Lets every currently hung I/O go on; {@code HANG} rules stay and hang later I/Os. */
    public void releaseHangs() {
        synchronized (lock) {
            hangGeneration++;
            lock.notifyAll();
        }
    }

    /** Restarts the random numbers that decide probabilistic rules from {@code seed}. */
    public FaultInjector seed(long seed) {
        synchronized (lock) {
            random = new Random(seed);
        }
        return this;
    }

    /** The number of rules not yet spent. */
    public int ruleCount() {
        synchronized (lock) {
            return rules.size();
        }
    }

    /** The number of threads hung in an I/O right now. */
    public int hungCount() {
        synchronized (lock) {
            return hungCount;
        }
    }

    /** The number of faults injected so far, of every effect. */
    public long injectedCount() {
        long total = 0;
        for (Effect effect : Effect.values()) {
            total += injectedCount(effect);
        }
        return total;
    }

    /** The number of faults of one effect injected so far. */
    public long injectedCount(Effect effect) {
        return injectedCounts.get(effect.ordinal());
    }

    /** The number of I/Os of one operation ({@link Op#ANY} for all) seen so far, faulted or not. */
    public long ioCount(Op op) {
        if (op != Op.ANY) {
            return ioCounts.get(op.ordinal());
        }
        return ioCount(Op.READ) + ioCount(Op.WRITE) + ioCount(Op.FLUSH);
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "FaultInjector[" + path + ", " + rules.size() + " rules, " + hungCount + " hung]";
        }
    }

    /**
     * Counts an I/O, chooses its faults and applies their delays; the caller
     * applies the outcome.
     *
     * @param offset ignored for {@link Op#FLUSH}
     */
    Injection inject(Op op, long offset, int lengthBytes) {
        Injection injection = choose(op, offset, lengthBytes);
        boolean interrupted = false;
        if (injection.latencyMillis() > 0) {
            interrupted |= sleepUninterruptibly(injection.latencyMillis());
        }
        if (injection.hang()) {
            interrupted |= awaitRelease(injection.hangGeneration());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return injection;
    }

    private Injection choose(Op op, long offset, int lengthBytes) {
        ioCounts.incrementAndGet(op.ordinal());
        synchronized (lock) {
            long latencyMillis = 0;
            boolean hang = false;
            for (Iterator<ArmedRule> it = rules.iterator(); it.hasNext();) {
                ArmedRule armed = it.next();
                FaultRule rule = armed.rule;
                boolean nothingToCorrupt = rule.effect() == Effect.CORRUPT && lengthBytes == 0;
                if (nothingToCorrupt || !rule.selects(op, offset, lengthBytes) || !hits(rule)) {
                    continue;
                }
                if (armed.spend()) {
                    it.remove();
                }
                injectedCounts.incrementAndGet(rule.effect().ordinal());
                switch (rule.effect()) {
                    case LATENCY:
                        latencyMillis += rule.latencyMillis();
                        break;
                    case HANG:
                        hang = true;
                        break;
                    case CORRUPT:
                        return Injection.corrupt(latencyMillis, hang, hangGeneration,
                                corruptIndex(rule, offset, lengthBytes), 1 << random.nextInt(Byte.SIZE));
                    default:
                        return Injection.fail(latencyMillis, hang, hangGeneration, rule.effect());
                }
            }
            return Injection.delay(latencyMillis, hang, hangGeneration);
        }
    }

    /** Rolls the dice for a rule that selects the I/O; called under the lock. */
    private boolean hits(FaultRule rule) {
        return rule.probability() >= 1 || random.nextDouble() < rule.probability();
    }

    /** A byte of the transfer that lies in the rule's range; called under the lock. */
    private int corruptIndex(FaultRule rule, long offset, int lengthBytes) {
        long first = Math.max(offset, rule.fromOffset()) - offset;
        long end = Math.min(offset + lengthBytes, rule.toOffset()) - offset;
        return (int) (first + random.nextInt((int) (end - first)));
    }

    /** Sleeps the whole time whatever interrupts come; returns whether one came. */
    private static boolean sleepUninterruptibly(long millis) {
        boolean interrupted = false;
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long leftNanos = deadlineNanos - System.nanoTime(); leftNanos > 0;
                leftNanos = deadlineNanos - System.nanoTime()) {
            try {
                TimeUnit.NANOSECONDS.sleep(leftNanos);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    /** Waits, whatever interrupts come, until hang generation {@code generation} ends; returns whether one came. */
    private boolean awaitRelease(long generation) {
        boolean interrupted = false;
        synchronized (lock) {
            hungCount++;
            try {
                while (hangGeneration == generation) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                hungCount--;
            }
        }
        return interrupted;
    }

    /** A rule as installed, with the hits it has left. */
    private static final class ArmedRule {
        final FaultRule rule;
        private int remainingTimes;

        ArmedRule(FaultRule rule) {
            this.rule = rule;
            this.remainingTimes = rule.times();
        }

        /** Counts one hit; returns whether the rule is now spent. */
        boolean spend() {
            return remainingTimes != FaultRule.UNLIMITED && --remainingTimes == 0;
        }
    }
}
