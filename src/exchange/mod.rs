//! Exchange clients: public tickers (the price feed), request signing and orders.

pub mod price_feed;
