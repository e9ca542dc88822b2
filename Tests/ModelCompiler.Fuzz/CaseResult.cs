using System.Text.Json.Serialization;

namespace ModelCompiler.Fuzz;

/// <summary>What one case did. <see cref="Defect"/> is null unless the compiler broke its promise.</summary>
internal sealed class CaseResult
{
    public long Index { get; set; }
    public string Seed { get; set; } = "";
    public string Kind { get; set; } = "";

    /// <summary>"compiled", "rejected" (clean error diagnostics) or "defect".</summary>
    public string Outcome { get; set; } = "";

    /// <summary>The defect class: exception, internal-error (MC9999), slow, memory, unsound, timeout, crash; null for none.</summary>
    public string? Defect { get; set; }

    /// <summary>Error ids reported (sorted, distinct), e.g. "MC0002,MC0008".</summary>
    public string Ids { get; set; } = "";

    /// <summary>The first error's message, or the exception.</summary>
    public string? Message { get; set; }

    public double Ms { get; set; }

    /// <summary>Peak managed heap growth during the case, in MiB (sampled).</summary>
    public double PeakMiB { get; set; }

    public string Description { get; set; } = "";

    [JsonIgnore] public bool IsDefect => Defect is not null;

    /// <summary>A key that groups cases with the same cause: defect class, exception type or id, and the message without numbers and names.</summary>
    [JsonIgnore]
    public string DefectKey => Defect + ": " + System.Text.RegularExpressions.Regex.Replace(
        Message is null ? "" : Message.Length > 120 ? Message.Substring(0, 120) : Message, @"'[^']*'|\d+", "#");
}
