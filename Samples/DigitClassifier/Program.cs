using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace DigitClassifier;

/// <summary>
/// Classifies the 450 handwritten digits of the scikit-learn digits test split with a tiny ResNet that
/// ModelCompiler compiled into C# at build time (DigitNet, generated from Model/digits_resnet.onnx).
/// </summary>
internal static class Program
{
    private static int Main()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "Data");
        float[] images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(data, "digits_test.x.bin"))).ToArray();
        int[] labels = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(data, "digits_test.y.bin"))).ToArray();
        int count = labels.Length;

        Console.WriteLine($"DigitNet: input {string.Join("x", DigitNet.InputShape.ToArray())}, output {string.Join("x", DigitNet.OutputShape.ToArray())}, " +
                          $"{(DigitNet.Macs >= 0 ? DigitNet.Macs.ToString("N0") : "an unknown number of")} multiply-adds per image, {DigitNet.ScratchBytes:N0} bytes of scratch memory per thread");
#if MODEL_BACKEND_ONNXRUNTIME
        DigitNet.Initialize(); // creates the ONNX Runtime session now, trying the execution providers in order
        Console.WriteLine($"Backend: ONNX Runtime, execution provider {DigitNet.ActiveExecutionProvider}");
        foreach (var skipped in DigitNet.SkippedExecutionProviders)
            Console.WriteLine($"  skipped {skipped.Name}: {skipped.Reason} (NuGet: {skipped.NuGetPackage})");
#else
        Console.WriteLine("Backend: managed (the model compiled to C#)");
#endif
        Console.WriteLine();

        var logits = new float[DigitNet.OutputLength];
        foreach (int i in new[] { 4, 13, 42 })
        {
            ReadOnlySpan<float> image = images.AsSpan(i * DigitNet.InputLength, DigitNet.InputLength);
            DigitNet.Predict(image, logits);
            PrintDigit(image);
            int predicted = ArgMax(logits);
            Console.WriteLine($"  image {i}: predicted {predicted} (confidence {Softmax(logits)[predicted]:P1}), label {labels[i]}");
            Console.WriteLine();
        }

        int correct = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            DigitNet.Predict(images.AsSpan(i * DigitNet.InputLength, DigitNet.InputLength), logits);
            if (ArgMax(logits) == labels[i]) correct++;
        }
        clock.Stop();
        double accuracy = (double)correct / count;
        Console.WriteLine($"Accuracy on the {count} test digits: {correct}/{count} = {accuracy:P2} " +
                          $"({clock.Elapsed.TotalMicroseconds / count:F1} µs per image on one thread)");
        return accuracy > 0.95 ? 0 : 1;
    }

    private static void PrintDigit(ReadOnlySpan<float> image)
    {
        const string shades = " .:-=+*#%@";
        for (int row = 0; row < 8; row++)
        {
            Console.Write("  ");
            for (int col = 0; col < 8; col++)
                Console.Write(new string(shades[(int)Math.Round(image[row * 8 + col] * (shades.Length - 1))], 2));
            Console.WriteLine();
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
