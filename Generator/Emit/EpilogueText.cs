using ModelCompiler.Contract;
using ModelCompiler.Passes;

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

    /// <summary>The <c>Act</c> expression for one fused activation.</summary>
    public static string Of(FusedActivation a)
    {
        const string act = RuntimeText.Prefix + "Act.";
        return a.Kind switch
        {
            "Clip" => $"{act}Clip({Literals.Float(a.Alpha)}, {Literals.Float(a.Beta)})",
            "LeakyRelu" => $"{act}LeakyRelu({Literals.Float(a.Alpha)})",
            "HardSigmoid" => $"{act}HardSigmoid({Literals.Float(a.Alpha)}, {Literals.Float(a.Beta)})",
            _ => act + a.Kind,
        };
    }
}
