using System;
using System.IO;
using System.Linq;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// The digits test split that ships with ../shared/models/torch-exports (450 scikit-learn digits as 8x8 float
/// images in digits_test.x.bin, int32 labels in digits_test.y.bin), and the accuracy of a classifier on it.
/// </summary>
internal static class DigitsTestSplit
{
    /// <summary>Top-1 accuracy of <paramref name="logitsOf"/> (one 64-float image in, 10 logits out) on the split.</summary>
    public static (double Accuracy, int Correct, int Count) Accuracy(Func<float[], float[]> logitsOf)
    {
        string folder = Repo.Shared("models/torch-exports");
        var x = TestTensor.ReadFloatBin(Path.Combine(folder, "digits_test.x.bin"));
        var yBytes = File.ReadAllBytes(Path.Combine(folder, "digits_test.y.bin"));
        var labels = new int[yBytes.Length / 4];
        Buffer.BlockCopy(yBytes, 0, labels, 0, yBytes.Length);
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var logits = logitsOf(x.AsSpan(i * 64, 64).ToArray());
            if (Array.IndexOf(logits, logits.Max()) == labels[i]) correct++;
        }
        return ((double)correct / labels.Length, correct, labels.Length);
    }
}
