using ModelCompiler.Contract;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>A fused epilogue (<see cref="FusedEpilogue"/>) as the <c>Epilogue</c> and <c>Act</c> expressions generated calls pass.</summary>
internal static class EpilogueText
{
    /// <summary>The <c>Epilogue</c> expression for <paramref name="e"/> (<c>Epilogue.None</c> when there is none).</summary>
    public static string Of(FusedEpilogue? e)
    {
        const string runtime = RuntimeText.Prefix;
        if (e?.BeforeAdd is null && e?.AfterAdd is null) return runtime + RuntimeApi.Epilogue.None;
        if (e.AfterAdd is null) return $"new {runtime}{RuntimeApi.Epilogue.Type}({Of(e.BeforeAdd!)})";
        return $"new {runtime}{RuntimeApi.Epilogue.Type}(beforeAdd: {(e.BeforeAdd is null ? runtime + "Act.None" : Of(e.BeforeAdd))}, afterAdd: {Of(e.AfterAdd)})";
    }

    /// <summary>The <c>Act</c> expression for one fused activation: <c>Act.Relu</c>, <c>Act.Clip(0f, 6f)</c>...</summary>
    public static string Of(FusedActivation a)
    {
        string act = RuntimeText.Prefix + "Act." + a.Kind;
        return a.Parameters.Count == 0 ? act : $"{act}({string.Join(", ", a.Parameters.Select(Literals.Float))})";
    }
}
