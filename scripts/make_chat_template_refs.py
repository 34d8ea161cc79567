#!/usr/bin/env python3
"""Render the chat-template fixtures with transformers' own Jinja set-up and record the results.

Writes Tests/ChatTemplateTests/Fixtures/expected.json, which the Swift tests (ChatTemplateTests) compare
against byte for byte. Re-running this script gives the same file (no clock, no randomness: the one
template that reads the date, Llama 3.2, is given a fixed `date_string`).

Rendering goes through `transformers.utils.chat_template_utils.render_jinja_template`, the function
`apply_chat_template` calls, with the special tokens passed the way `apply_chat_template` passes
`tokenizer.special_tokens_map`. If that function is missing (an older or newer transformers), the script
falls back to an exact copy of transformers' environment: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[loopcontrols, <generation>]) with raise_exception, strftime_now, the
tojson override, dict and namespace.

Usage: python3 scripts/make_chat_template_refs.py   (needs jinja2 >= 3.1.6; transformers optional)

A wider, uncommitted check: render any folder of .jinja templates (for instance llama.cpp's
models/templates, which the llama-cpp-python sdist vendors) and point the opt-in Swift test at it:
    python3 scripts/make_chat_template_refs.py --templates DIR --out /tmp/wide/expected.json
    CHAT_TEMPLATE_WIDE_REFS=/tmp/wide/expected.json CHAT_TEMPLATE_WIDE_TEMPLATES=DIR \
        swift test --filter WideReferenceTests
Templates not listed in SPECIAL_TOKENS get <s>, </s>, <unk> and a fixed date_string.
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "ChatTemplateTests" / "Fixtures"
TEMPLATES = FIXTURES / "templates"

# ---------------------------------------------------------------------------------------------------
# The renderer: transformers' own, else a copy of its environment.

def make_renderer():
    try:
        import transformers
        from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

        def render_conversation(template, messages, add_generation_prompt, tools, kwargs):
            rendered, _ = render_jinja_template(
                conversations=[messages],
                tools=tools,
                chat_template=template,
                add_generation_prompt=add_generation_prompt,
                **kwargs,
            )
            return rendered[0]

        def render_plain(template, context):
            return _compile_jinja_template(template).render(**context)

        return render_conversation, render_plain, f"transformers {transformers.__version__}"
    except ImportError:
        pass

    import jinja2
    from datetime import datetime
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class GenerationBlock(Extension):
        # transformers' AssistantTracker with the tracking left out: {% generation %} renders its body.
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

        def _render(self, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = jinja2.utils.Namespace

    def render_conversation(template, messages, add_generation_prompt, tools, kwargs):
        return env.from_string(template).render(
            messages=messages, tools=tools, documents=None, add_generation_prompt=add_generation_prompt, **kwargs
        )

    def render_plain(template, context):
        return env.from_string(template).render(**context)

    return render_conversation, render_plain, f"jinja2 {jinja2.__version__} (copy of transformers' environment)"


# ---------------------------------------------------------------------------------------------------
# Special tokens each model's tokenizer passes (its special_tokens_map), and extra variables.

SPECIAL_TOKENS = {
    "smollm2-135m-instruct.jinja": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>"},
    "qwen2-instruct.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen2.5-instruct.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llava-1.5-hf.jinja": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "image_token": "<image>"},
    "llava-onevision-qwen2.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "image_token": "<image>", "video_token": "<video>"},
    "tinyllama-1.1b-chat.jinja": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "</s>"},
    "llama-2-chat.jinja": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "vicuna-13b-1.1.jinja": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "phi-3-mini-4k-instruct.jinja": {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"},
    "phi-3.5-mini-instruct.jinja": {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"},
    "llama-3-instruct.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.1-instruct.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.2-instruct.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "gemma-2-it.jinja": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "deepseek-coder-33b-instruct.jinja": {"bos_token": "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "eos_token": "<|EOT|>", "pad_token": "<\uff5cend\u2581of\u2581sentence\uff5c>"},
    "deepseek-r1-distill-qwen.jinja": {"bos_token": "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "eos_token": "<\uff5cend\u2581of\u2581sentence\uff5c>"},
}

EXTRA_CONTEXT = {
    # The template calls strftime_now() unless date_string is given; fix it so the file is reproducible.
    "llama-3.2-instruct.jinja": {"date_string": "26 Jul 2024"},
}

# ---------------------------------------------------------------------------------------------------
# Conversations. Every template is rendered over every conversation, with and without the
# generation prompt; a template that cannot take a conversation (string content into a template
# that iterates over parts, a role order it refuses) records the error jinja raised instead.

def parts(*items):
    out = []
    for item in items:
        out.append({"type": "image"} if item is None else {"type": "text", "text": item})
    return out

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "user_only": {"messages": [
        {"role": "user", "content": "What is the capital of France?"},
    ]},
    "system_user": {"messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ]},
    "multi_turn": {"messages": [
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
        {"role": "user", "content": "Tell me a joke."},
    ]},
    "system_multi_turn": {"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
        {"role": "user", "content": "Tell me a joke."},
    ]},
    "whitespace_content": {"messages": [
        {"role": "user", "content": "  Leading and trailing spaces \n"},
        {"role": "assistant", "content": "\n  Sure.  \n\n"},
        {"role": "user", "content": "\tTabbed\tquestion?"},
    ]},
    "unicode_content": {"messages": [
        {"role": "user", "content": "Ça va? 日本語 🙂 \"quotes\", 'apostrophes', back\\slash, {{ not a tag }}"},
    ]},
    "empty_system": {"messages": [
        {"role": "system", "content": ""},
        {"role": "user", "content": "Hello"},
    ]},
    "roles_not_alternating": {"messages": [
        {"role": "user", "content": "First"},
        {"role": "user", "content": "Second"},
    ]},
    "ends_with_assistant": {"messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
    ]},
    "image_parts": {"messages": [
        {"role": "user", "content": parts(None, "What is shown in this image?")},
    ]},
    "image_parts_multi_turn": {"messages": [
        {"role": "user", "content": parts(None, "What is shown in this image?")},
        {"role": "assistant", "content": parts("A cat sleeping on a sofa.")},
        {"role": "user", "content": parts("What color is the cat?")},
    ]},
    "system_parts_two_images": {"messages": [
        {"role": "system", "content": parts("Answer briefly.")},
        {"role": "user", "content": parts("Compare", None, None, "these two pictures.")},
    ]},
    "tools_user": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
    ]},
    "tool_call_round_trip": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}},
        ]},
        {"role": "tool", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21 °C and clear in Paris."},
    ]},
}

# Small templates checking single language features, rendered by the same environment.
UNIT_CASES = [
    # whitespace control
    ("trim_blocks", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("lstrip_blocks", "  {% if true %}\n    A\n  {% endif %}\nB\n", {}),
    ("lstrip_blocks_not_after_text", "x {% if true %}y{% endif %}", {}),
    ("lstrip_not_for_variables", "  {{ 'v' }}\n  {# c #}\nz", {}),
    ("minus_strips_both_sides", "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c", {}),
    ("minus_in_variable", "a  \n {{- 'x' -}} \n b", {}),
    ("plus_disables_lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("plus_disables_trim", "{% if true +%}\nx{% endif %}", {}),
    ("comment_trim", "a\n{# comment #}\nb\n  {#- c -#}  \nd", {}),
    ("trailing_newline_dropped", "line\n", {}),
    ("crlf_normalised", "a\r\nb\rc", {}),
    ("set_block_capture", "{% set x %}\n  a {{ 1 }}\n{% endset %}[{{ x }}]", {}),
    # expressions
    ("arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 * 3 + 1 }} {{ 1.5 + 1 }} {{ true + 1 }}", {}),
    ("floats", "{{ 1e-5 }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ 3.0 }} {{ 1.0e3 }} {{ -0.5 }}", {}),
    ("string_ops", "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ 'x' + 'y' }} {{ \"q\\\"d\" }} {{ 'it\\'s' }} {{ 'tab\\there' }}", {}),
    ("repr_of_containers", "{{ [1, 'a', none, true, 1.5, {'k': 'v', 'n': [2]}] }} {{ {'a': \"it's\"} }} {{ ('t', 1) }}", {}),
    ("comparisons", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' >= 'a' }} {{ none == none }}", {}),
    ("membership", "{{ 3 in [1, 2, 3] }} {{ 'a' in 'cat' }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'cat' }} {{ not 'a' in 'b' }}", {}),
    ("logic", "{{ true and 'x' }} {{ 0 or 'y' }} {{ none or [] }} {{ not none }} {{ '' and 1 }}", {}),
    ("conditional_expr", "{{ 'yes' if 1 else 'no' }} [{{ 'x' if false }}] {{ 1 if false else 2 if false else 3 }}", {}),
    ("slicing", "{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][:-1] }} {{ [1, 2, 3, 4][::2] }} {{ 'abc'[-1] }} {{ [1, 2, 3][5:] }}", {}),
    ("indexing", "{{ m['role'] }} {{ m.role }} [{{ m.missing }}] [{{ [1, 2][5] }}] {{ m['content'][0]['text'] }} {{ m.content[-1].type }}", {"m": {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image"}]}}),
    ("undefined_semantics", "[{{ nope }}] {{ nope is defined }} {{ nope is undefined }} {{ nope | length }} {{ nope | default('d') }} {% for x in nope %}X{% endfor %}{{ nope == also_nope }} {{ 'a' ~ nope ~ 'b' }} {{ not nope }}", {}),
    ("none_semantics", "{{ none }} {{ n }} {{ n is none }} {{ n is not none }} [{{ n.attr }}] {{ n | default('d') }} {{ n | default('d', true) }}", {"n": None}),
    ("tests", "{{ 's' is string }} {{ 1 is string }} {{ {} is mapping }} {{ [] is mapping }} {{ [] is iterable }} {{ 's' is iterable }} {{ 1 is iterable }} {{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is boolean }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is equalto 'a' }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ x is sequence }} {{ 2 is gt 1 }} {{ 'a' is in 'abc' }} {{ none is sameas none }}", {"x": [1]}),
    # filters
    ("filters_text", "{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Ab' | upper }}|{{ 'Ab' | lower }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'hello big-world' | title }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 5 | string }}|{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}", {}),
    ("filters_numbers", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 2.567 | round(2) }} {{ [1, 2, 3] | sum }} {{ [3, 9, 2] | max }} {{ [3, 9, 2] | min }}", {}),
    ("filters_sequences", "{{ [1, 2, 3] | length }} {{ 'abc' | count }} {{ [1, 2] | first }} {{ [1, 2] | last }} {{ 'abc' | first }} {{ [1, 2, 3] | join('-') }} {{ ['a', 'b'] | join }} {{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ [1, 2, 2, 1] | unique | list }} {{ [1, 2] | reverse | list }} {{ 'ab' | reverse }} {{ 'ab' | list }} {{ {'a': 1, 'b': 2} | list }}", {}),
    ("filters_select", "{{ xs | selectattr('type', 'equalto', 'image') | list | length }} {{ xs | rejectattr('type', 'equalto', 'image') | map(attribute='text') | join(',') }} {{ xs | selectattr('text') | list | length }} {{ xs | map(attribute='type') | list }} {{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('even') | list }} {{ ['a', 'B'] | map('upper') | join }} {{ xs | selectattr('type', '==', 'text') | list | length }} {{ xs | map(attribute='missing', default='d') | list }}", {"xs": [{"type": "image"}, {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
    ("filters_dict", "{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %} {% for k, v in d.items() %}{{ k }}:{{ v }};{% endfor %} {{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.get('z') }} {{ d.keys() | list }} {{ d.values() | list }} {{ d | dictsort }}", {"d": {"b": 2, "a": 1}}),
    ("tojson", "{{ x | tojson }}|{{ x | tojson(indent=2) }}|{{ 'é\"<>' | tojson }}|{{ [] | tojson(indent=4) }}|{{ {} | tojson }}|{{ 1.0 | tojson }}|{{ x | tojson(sort_keys=true) }}", {"x": {"b": 1, "a": [1.5, None, True, "é\n\t\\"], "c": {"d": []}}}),
    ("select_and_map_of_falsy_values", "[{{ n | selectattr('type', 'equalto', 'x') | list }}] [{{ n | map(attribute='a') | list }}] [{{ '' | select | list }}] [{{ 0 | reject | list }}]", {"n": None}),
    ("generators_are_truthy_and_single_use", "{% set g = [1, 2, 3] | select('odd') %}{{ 'yes' if g else 'no' }} {{ g | list }} {{ g | list }} {% set e = [] | selectattr('x') %}{{ 'truthy' if e else 'falsy' }} {{ [1, 2] | map('string') | join(',') }} {{ [3, 1] | reverse | list }} {{ {'a': 1} | items | list }} {{ [1, 2, 3] | select('odd') | first }} {{ 2 in [1, 2] | select }}", {}),
    ("generator_has_no_length", "{{ [1] | select | length }}", {}),
    ("generator_is_not_json", "{{ [1] | map('string') | tojson }}", {}),
    ("markup_escapes_what_is_added", "{{ '<b>' | safe + '<i>\"x\" & \\'y\\'' }} {{ 'a<' + '>b' | safe }} {{ ('<' | safe) ~ '<' }} {{ '<' | safe | length }} {{ '<a>' | safe is string }}", {}),
    ("default_filter_alias", "{{ u | d('x') }} {{ '' | d('y', true) }} {{ false | default('z') }}", {}),
    ("string_methods", "{{ '  a  '.strip() }}|{{ 'xxayy'.strip('xy') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|{{ 'ab'.upper() }}|{{ 'AB'.lower() }}|{{ 'ab'.startswith('a') }}|{{ 'ab'.endswith(('x', 'b')) }}|{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'aXbX'.replace('X', '-') }}|{{ 'hello world'.title() }}|{{ 'abc'.capitalize() }}|{{ 'a</think>b'.split('</think>')[-1] }}|{{ 'abc'.find('c') }}|{{ 'l1\\nl2'.splitlines() }}|{{ '{} and {}'.format(1, 'b') }}|{{ 'a-b'.rsplit('-', 1) }}", {}),
    # statements
    ("for_loop_variables", "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('odd', 'even') }};{% endfor %}", {}),
    ("for_filter_and_else", "{% for x in [1, 2, 3, 4] if x is odd %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% else %}E{% endfor %}|{% for x in [] %}a{% else %}empty{% endfor %}|{% for x in [2] if x > 5 %}a{% else %}filtered{% endfor %}", {}),
    ("for_unpacking_and_dict", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}{% for c in 'hi' %}[{{ c }}]{% endfor %}", {}),
    ("loop_scoping", "{% set a = 0 %}{% for i in [1, 2, 3] %}[{{ a }}]{% set a = i %}{% endfor %}|{{ a }}|{% for i in [1, 2] %}[{{ b }}]{% set b = i %}{% endfor %}|{% if true %}{% set c = 5 %}{% endif %}{{ c }}", {}),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for i in [1, 2, 3] %}{% set ns.count = ns.count + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}", {}),
    ("nested_loops_outer_loop", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in ['x', 'y'] %}{{ outer.index }}{{ loop.index }}{{ b }} {% endfor %}{% endfor %}", {}),
    ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("range_and_dict_globals", "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ dict(a=1, b='x') }} {{ range(5, 0, -2) | list }}", {}),
    ("set_multiple_and_reassign_messages", "{% set messages = messages[1:] %}{% for m in messages %}{{ m }}{% endfor %}{% set a, b = 1, 2 %}{{ a }}{{ b }}", {"messages": ["sys", "u1", "u2"]}),
    ("macro", "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(name='Cy', punct='.') }}", {}),
    ("filter_block", "{% filter upper | replace('A', '4') %}\n  a {{ 'b' }}\n{% endfilter %}|{% filter trim %}  x  {% endfilter %}", {}),
    ("generation_block", "{% for m in ['a', 'b'] %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}", {}),
    ("adjacent_string_literals", "{{ 'a' 'b' \"c\" }}", {}),
    ("raise_exception", "{% if x %}{{ raise_exception('Bad input: ' ~ x) }}{% endif %}ok", {"x": "oops"}),
    ("undefined_attribute_error", "{{ nope.attr }}", {}),
    ("type_error_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("filter_chain_precedence", "{{ 'a' + ' b ' | trim + 'c' }} {{ -2 | abs }} {{ [1, 2] | length + 1 }} {{ 'x' ~ (2 + 3) }} {{ (1 + 2) ~ 3 }}", {}),
    ("concat_binds_tighter_than_plus", "{{ 'x' ~ 2 + 3 }}", {}),
    ("is_not_and_not_is", "{{ not x is defined }} {{ x is not defined }} {{ y is not none }}", {"y": 1}),
    ("strings_escape_sequences", "{{ 'a\\\\b' }}|{{ '\\u00e9' }}|{{ '\\x41' }}|{{ 'line\\nnext' }}|{{ '\\d' }}", {}),
    ("integer_forms", "{{ 1_000 }} {{ 0x10 }} {{ 0b11 }} {{ 0o7 }} {{ 10 % 3 }}", {}),
    ("percent_format", "{{ '%s-%d' % ('a', 3) }} {{ '%s' % 'x' }}", {}),
]


GENERIC_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
GENERIC_EXTRA_CONTEXT = {"date_string": "26 Jul 2024"}


def main():
    arguments = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    arguments.add_argument("--templates", type=pathlib.Path, default=TEMPLATES, help="folder of .jinja files")
    arguments.add_argument("--out", type=pathlib.Path, default=FIXTURES / "expected.json", help="where to write the JSON")
    options = arguments.parse_args()
    is_fixture_run = options.templates.resolve() == TEMPLATES.resolve()

    render_conversation, render_plain, renderer_name = make_renderer()

    templates = {}
    cases = []
    for path in sorted(options.templates.glob("*.jinja")):
        name = path.name
        source = path.read_text(encoding="utf-8")
        special_tokens = SPECIAL_TOKENS[name] if is_fixture_run else SPECIAL_TOKENS.get(name, GENERIC_SPECIAL_TOKENS)
        extra_context = EXTRA_CONTEXT.get(name, {}) if is_fixture_run else EXTRA_CONTEXT.get(name, GENERIC_EXTRA_CONTEXT)
        templates[name] = {"special_tokens": special_tokens, "extra_context": extra_context}
        for conversation_name, conversation in CONVERSATIONS.items():
            tools = conversation.get("tools")
            if tools is not None and "tools" not in source:
                continue
            for add_generation_prompt in (False, True):
                case = {"template": name, "conversation": conversation_name, "add_generation_prompt": add_generation_prompt}
                try:
                    case["output"] = render_conversation(
                        source, json.loads(json.dumps(conversation["messages"])), add_generation_prompt,
                        json.loads(json.dumps(tools)) if tools is not None else None,
                        {**special_tokens, **extra_context},
                    )
                except Exception as error:  # a render the template refuses is a result too
                    case["error"] = {"type": type(error).__name__, "message": str(error)}
                cases.append(case)

    units = []
    for unit_name, template, context in (UNIT_CASES if is_fixture_run else []):
        unit = {"name": unit_name, "template": template, "context": context}
        try:
            unit["output"] = render_plain(template, json.loads(json.dumps(context)))
        except Exception as error:
            unit["error"] = {"type": type(error).__name__, "message": str(error)}
        units.append(unit)

    expected = {
        "generated_by": "scripts/make_chat_template_refs.py",
        "renderer": renderer_name,
        "templates": templates,
        "conversations": CONVERSATIONS,
        "cases": cases,
        "units": units,
    }
    out = options.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    rendered = sum(1 for c in cases if "output" in c)
    print(f"{out}: {len(templates)} templates, {len(cases)} template/conversation cases ({rendered} rendered, "
          f"{len(cases) - rendered} refused by the template), {len(units)} unit cases, via {renderer_name}")


if __name__ == "__main__":
    sys.exit(main())
