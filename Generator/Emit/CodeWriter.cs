using System.Text;

namespace ModelCompiler.Emit;

/// <summary>Indented text with '\n' line endings whatever the platform, so output is byte-identical everywhere.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
    }

    public void Open(string text)
    {
        Line(text);
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    public int Indent { get => _indent; set => _indent = value; }

    /// <summary>Appends what <paramref name="part"/> holds, as written (its lines carry their own indentation).</summary>
    public void Append(CodeWriter part) => _sb.Append(part._sb);

    public override string ToString() => _sb.ToString();
}
