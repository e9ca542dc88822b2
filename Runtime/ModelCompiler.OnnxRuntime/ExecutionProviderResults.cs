using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.OnnxRuntime;

/// <summary>A listed execution provider that the session does not use, and why.</summary>
/// <param name="Name">The provider, as listed ("CUDA").</param>
/// <param name="Reason">Why it was skipped, in words (not in this ONNX Runtime build, registration or session creation failed).</param>
/// <param name="NuGetPackage">The NuGet package that brings the provider.</param>
public sealed record SkippedExecutionProvider(string Name, string Reason, string NuGetPackage)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Reason}";
}

/// <summary>
/// Thrown at first use when <c>FallbackToCpu</c> is false and none of the listed execution providers other
/// than the CPU one can be used. The message names the NuGet package that brings each missing provider.
/// </summary>
public sealed class ExecutionProviderUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="model"/> with the providers that could not be used.</summary>
    public ExecutionProviderUnavailableException(string model, IReadOnlyList<SkippedExecutionProvider> skipped, IReadOnlyList<string> availableInBuild)
        : base(Format(model, skipped, availableInBuild))
    {
        Skipped = skipped;
        AvailableInBuild = availableInBuild;
    }

    /// <summary>The providers that could not be used, with reasons and packages.</summary>
    public IReadOnlyList<SkippedExecutionProvider> Skipped { get; }

    /// <summary>What the installed ONNX Runtime build offers (ONNX Runtime's names, e.g. CPUExecutionProvider).</summary>
    public IReadOnlyList<string> AvailableInBuild { get; }

    private static string Format(string model, IReadOnlyList<SkippedExecutionProvider> skipped, IReadOnlyList<string> available) =>
        $"{model}: none of the requested execution providers ({string.Join(", ", skipped.Select(s => s.Name))}) can be used, and FallbackToCpu is false. " +
        string.Join(" ", skipped.Select(s => $"{s.Name}: {s.Reason}; it comes with the NuGet package {s.NuGetPackage}.")) +
        $" The installed ONNX Runtime offers {string.Join(", ", available)}. " +
        "Reference the provider's package (in place of Microsoft.ML.OnnxRuntime), or set FallbackToCpu=\"true\" to run on the CPU.";
}
