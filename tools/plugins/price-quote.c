/* price-quote: action quote, {"symbol":"BTC","amount":2} -> the price from a built-in table and the total. */
#include "annals_plugin.h"

static const struct {
    const char *symbol;
    i64 cents;
} prices[] = {{"BTC", 6500000}, {"ETH", 320050}, {"SOL", 14525}, {"DOGE", 12}};

ANNALS_ACTION(quote) {
    i32 symbol_len = 0;
    const char *symbol = annals_json_string(input, input_len, "symbol", &symbol_len);
    i64 amount = annals_json_int(input, input_len, "amount", 1);
    annals_out out = annals_out_new(128);
    if (!symbol) {
        annals_out_str(&out, "{\"error\":\"missing symbol\"}");
        return annals_out_return(&out);
    }
    for (u32 i = 0; i < sizeof prices / sizeof prices[0]; i++) {
        if (!annals_equal(symbol, symbol_len, prices[i].symbol)) continue;
        annals_out_str(&out, "{\"symbol\":");
        annals_out_json_string(&out, symbol, symbol_len);
        annals_out_str(&out, ",\"amount\":");
        annals_out_int(&out, amount);
        annals_out_str(&out, ",\"price\":");
        annals_out_cents(&out, prices[i].cents);
        annals_out_str(&out, ",\"total\":");
        annals_out_cents(&out, prices[i].cents * amount);
        annals_out_str(&out, "}");
        return annals_out_return(&out);
    }
    annals_out_str(&out, "{\"error\":\"unknown symbol\",\"symbol\":");
    annals_out_json_string(&out, symbol, symbol_len);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}
