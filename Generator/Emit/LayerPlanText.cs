using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// The second line of a layer's comment: what kernel selection decided for it. The run-time kernel and its variant,
/// the weights it reads (tensor name, shape, and the layout the kernel rearranged them into), the threads and the
/// scratch memory it was given, e.g.
/// <c>kernel PackedConv.Conv2D · weights conv1.weight [4x1x3x3] in 8-channel panels, conv1.bias [4] · scratch 1.3 KB</c>.
/// </summary>
internal static class LayerPlanText
{
    /// <summary>A call into the run-time library in emitted code: <c>Class.Method(</c> or <c>Class.Method&lt;</c>.</summary>
    private static readonly Regex s_runtimeCall = new(Regex.Escape(RuntimeText.Prefix) + @"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*[<(]");

    public static string Describe(Kernel kernel, string body, long scratchBytes)
    {
        var parts = new List<string>();
        string kernels = kernel.Name ?? string.Join(" + ", CalledMethods(body));
        if (kernels.Length > 0) parts.Add("kernel " + kernels + (kernel.Variant is { } v ? ", " + v : ""));
        var weights = Weights(kernel);
        if (weights.Length > 0) parts.Add("weights " + weights);
        if (Passes.Pruning.WeightSparsity.Of(kernel.Node) is { Zeros: > 0 } sparsity) parts.Add("sparsity " + sparsity);
        if (kernel.Threads > 1) parts.Add($"{kernel.Threads} threads");
        if (scratchBytes > 0) parts.Add("scratch " + Literals.Size(scratchBytes));
        return parts.Count == 0 ? "(inline code)" : string.Join(" · ", parts);
    }

    /// <summary>The run-time methods a layer body calls, in order, once each (argument builders such as <c>Act.Relu</c> left out).</summary>
    public static IEnumerable<string> CalledMethods(string body) =>
        s_runtimeCall.Matches(body).Cast<Match>()
            .Where(m => m.Groups[1].Value != "Act" && !IsConstruction(body, m.Index))
            .Select(m => m.Groups[1].Value + "." + m.Groups[2].Value)
            .Distinct();

    private static bool IsConstruction(string body, int at) => at >= 4 && body.Substring(at - 4, 4) == "new ";

    /// <summary>Each constant input once, by name and shape, with the layout the kernel gave it when not the model's own.</summary>
    private static string Weights(Kernel kernel)
    {
        var layouts = kernel.Layouts.ToDictionary(u => u.Tensor, u => u.Layout);
        var listed = new List<string>();
        foreach (var v in kernel.Node.Inputs.Where(i => i is { IsConstant: true }).Select(i => i!).Distinct())
            listed.Add($"{v.Name} [{ShapeText.Format(v.Shape)}]" + (layouts.TryGetValue(v.Name, out var layout) ? " " + layout : ""));
        return string.Join(", ", listed);
    }
}
