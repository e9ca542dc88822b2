using System;
using System.Collections.Generic;

namespace ModelCompiler.Fuzz;

/// <summary>
/// SplitMix64: a tiny, fully specified generator, so that a (seed, case) pair names the same mutated model on
/// every machine and .NET version (System.Random's seeded algorithm is an implementation detail).
/// </summary>
internal sealed class Rng
{
    private ulong _state;

    public Rng(ulong seed) => _state = seed;

    /// <summary>The generator for case <paramref name="index"/> of campaign <paramref name="seed"/>: independent streams per case.</summary>
    public static Rng ForCase(ulong seed, long index) => new(Mix(seed ^ Mix((ulong)index + 0x9E3779B97F4A7C15UL)));

    public ulong Next() => Mix(_state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Below(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)(Next() % (ulong)n);

    /// <summary>Uniform in [lo, hi].</summary>
    public int Between(int lo, int hi) => lo + Below(hi - lo + 1);

    public bool Chance(double p) => NextDouble() < p;

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];
}
