using System;

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// Scalar functions the run-time kernels compute their own way and constant folding must compute the same way, so
/// that a value folded at build time equals the one the kernel would have produced.
/// </summary>
internal static class ScalarMath
{
    /// <summary>
    /// erf in double: its Maclaurin series near zero (exact to double precision below 0.5), and above
    /// 1 - erfc(|x|) with erfc from a Chebyshev-fitted exponential (relative error below 1.2e-7).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double z = Math.Abs(x);
        if (z < 0.5)
        {
            double x2 = x * x, term = x, sum = 0;
            for (int n = 0; n < 14; n++)
            {
                sum += term / (2 * n + 1);
                term *= -x2 / (n + 1);
            }
            return sum * 1.1283791670955126; // 2 / sqrt(pi)
        }
        if (z >= 6) return x < 0 ? -1.0 : 1.0;
        double t = 1 / (1 + 0.5 * z);
        double poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        double erfc = t * Math.Exp(poly);
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
