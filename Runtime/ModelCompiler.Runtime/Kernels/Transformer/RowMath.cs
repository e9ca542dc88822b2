using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Row-wise float loops the transformer kernels share, written once over <see cref="IVec{TSelf}"/> so each runs
/// at every vector width (the JIT specializes one copy per width). Whole vectors first, then a scalar tail;
/// sums keep one accumulator per lane, added up once at the end.
/// </summary>
internal static unsafe class RowMath
{
    /// <summary>The sum of a vector's lanes (<paramref name="lanes"/>: scratch for 16 floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Lanes<TV>(TV v, float* lanes) where TV : unmanaged, IVec<TV>
    {
        TV.Store(lanes, v);
        float s = 0;
        for (int i = 0; i < TV.Count; i++) s += lanes[i];
        return s;
    }

    /// <summary>x[0] + ... + x[n - 1].</summary>
    public static float Sum<TV>(float* x, int n, float* lanes) where TV : unmanaged, IVec<TV>
    {
        TV a0 = TV.Zero, a1 = TV.Zero;
        int i = 0;
        for (; i <= n - 2 * TV.Count; i += 2 * TV.Count)
        {
            a0 = TV.Add(a0, TV.Load(x + i));
            a1 = TV.Add(a1, TV.Load(x + i + TV.Count));
        }
        for (; i <= n - TV.Count; i += TV.Count) a0 = TV.Add(a0, TV.Load(x + i));
        float s = Lanes(TV.Add(a0, a1), lanes);
        for (; i < n; i++) s += x[i];
        return s;
    }

    /// <summary>Σ (x[i] - center)^2: the deviations are formed before squaring, so values near the center keep their precision.</summary>
    public static float SquaredDeviations<TV>(float* x, int n, float center, float* lanes) where TV : unmanaged, IVec<TV>
    {
        TV a0 = TV.Zero, a1 = TV.Zero, shift = TV.Splat(-center);
        int i = 0;
        for (; i <= n - 2 * TV.Count; i += 2 * TV.Count)
        {
            TV d0 = TV.Add(TV.Load(x + i), shift), d1 = TV.Add(TV.Load(x + i + TV.Count), shift);
            a0 = TV.MultiplyAdd(d0, d0, a0);
            a1 = TV.MultiplyAdd(d1, d1, a1);
        }
        for (; i <= n - TV.Count; i += TV.Count)
        {
            TV d = TV.Add(TV.Load(x + i), shift);
            a0 = TV.MultiplyAdd(d, d, a0);
        }
        float s = Lanes(TV.Add(a0, a1), lanes);
        for (; i < n; i++)
        {
            float d = x[i] - center;
            s += d * d;
        }
        return s;
    }

    /// <summary>y[i] = (x[i] - center) * a[i] * factor + b[i] (b may be null: no shift). y may be x.</summary>
    public static void Affine<TV>(float* x, float* y, int n, float center, float factor, float* a, float* b) where TV : unmanaged, IVec<TV>
    {
        TV shift = TV.Splat(-center), f = TV.Splat(factor);
        int i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            TV t = TV.Multiply(TV.Multiply(TV.Add(TV.Load(x + i), shift), f), TV.Load(a + i));
            TV.Store(y + i, b is null ? t : TV.Add(t, TV.Load(b + i)));
        }
        for (; i < n; i++)
        {
            float t = (x[i] - center) * factor * a[i];
            y[i] = b is null ? t : t + b[i];
        }
    }

    /// <summary>y[i] = (x[i] - center) * scale + shift over a run sharing one scale and shift. y may be x.</summary>
    public static void Affine<TV>(float* x, float* y, int n, float center, float scale, float shift) where TV : unmanaged, IVec<TV>
    {
        TV c = TV.Splat(-center), s = TV.Splat(scale), t = TV.Splat(shift);
        int i = 0;
        for (; i <= n - TV.Count; i += TV.Count) TV.Store(y + i, TV.MultiplyAdd(TV.Add(TV.Load(x + i), c), s, t));
        for (; i < n; i++) y[i] = (x[i] - center) * scale + shift;
    }

    /// <summary>y[i] += a * x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy<TV>(float a, float* x, float* y, int n) where TV : unmanaged, IVec<TV>
    {
        TV va = TV.Splat(a);
        int i = 0;
        for (; i <= n - TV.Count; i += TV.Count) TV.Store(y + i, TV.MultiplyAdd(va, TV.Load(x + i), TV.Load(y + i)));
        for (; i < n; i++) y[i] += a * x[i];
    }
}
