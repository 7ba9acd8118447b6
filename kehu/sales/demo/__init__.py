"""Demo data for sales: 清泉饮品's catalogue, two years of orders and money, plans, credit holds.

Loaded by `kehu demo` after the cards (the step is registered in `hook`, from SalesConfig.ready()).
"""
