using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace ModelCompiler.OnnxRuntime.Tests;

/// <summary>Inputs, references and comparisons for the OnnxRuntime backend tests.</summary>
internal static class TestSupport
{
    private static string Metadata(string key) => typeof(TestSupport).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string DigitsModel => Metadata("DigitsModel");

    /// <summary>A model under ../shared/models; skips the test when it is missing.</summary>
    public static string SharedModel(string relative)
    {
        string path = Path.Combine(Metadata("SharedModels"), relative);
        if (!File.Exists(path)) Assert.Skip($"Needs the shared test model '{relative}' (expected at {path}); it is not present in this checkout.");
        return path;
    }

    /// <summary>The 450 test digits of the sample (8x8, values in [0,1]) and their labels.</summary>
    public static (float[] Images, int[] Labels) Digits()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "Data");
        float[] images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(data, "digits_test.x.bin"))).ToArray();
        int[] labels = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(data, "digits_test.y.bin"))).ToArray();
        return (images, labels);
    }

    /// <summary>Deterministic pseudo-random values in [0, 1).</summary>
    public static float[] Random(int length, uint seed)
    {
        var x = new float[length];
        uint s = seed * 2654435761u + 1;
        for (int i = 0; i < x.Length; i++)
        {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            x[i] = (s >> 8) / (float)(1 << 24);
        }
        return x;
    }

    /// <summary>Runs a model file directly with an InferenceSession (CPU): float inputs in graph order, float outputs in graph order.</summary>
    public static float[][] Reference(string modelPath, params float[][] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelPath, options);
        var values = new List<OrtValue>();
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                long[] shape = session.InputMetadata[session.InputNames[i]].Dimensions.Select(d => (long)d).ToArray();
                values.Add(OrtValue.CreateTensorValueFromMemory(inputs[i], shape));
            }
            using var run = new RunOptions();
            using var results = session.Run(run, session.InputNames, values, session.OutputNames);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// The float tolerance of the issue: relative L2 error at most 1e-4, or every element within
    /// 1e-5 + 1e-4 * |expected|.
    /// </summary>
    public static void Close(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} elements, got {actual.Length}");
        double num = 0, den = 0;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - (double)expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
            double excess = Math.Abs(d) - (1e-5 + 1e-4 * Math.Abs(expected[i]));
            if (double.IsNaN(d) || excess > worstExcess) { worst = i; worstExcess = double.IsNaN(d) ? double.PositiveInfinity : excess; }
        }
        double relL2 = den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
        if (worst < 0 || relL2 <= 1e-4) return;
        Assert.Fail(string.Format(CultureInfo.InvariantCulture, "{0}: relative L2 error {1:G3} > 1e-4 and element {2} is {3:R}, expected {4:R}",
            what, relL2, worst, actual[worst], expected[worst]));
    }
}
